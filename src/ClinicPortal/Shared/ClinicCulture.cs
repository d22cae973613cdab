using System.Globalization;

namespace ClinicPortal.Shared;

/// <summary>How the staff portal writes and reads dates and times: British dates (day first) and 24-hour times.</summary>
public static class ClinicCulture
{
    public static readonly CultureInfo Culture = CultureInfo.GetCultureInfo("en-GB");

    public const string DateFormat = "dd/MM/yyyy";

    /// <summary>A date written out, as forms say it back before they act on it: "Monday 28 December 2026".</summary>
    public const string LongDateFormat = "dddd d MMMM yyyy";
}
