using System.Globalization;

namespace ClinicPortal.Shared;

/// <summary>How the staff portal writes and reads dates and times: British dates (day first) and 24-hour times.</summary>
public static class ClinicCulture
{
    public static readonly CultureInfo Culture = CultureInfo.GetCultureInfo("en-GB");

    public const string DateFormat = "dd/MM/yyyy";
}
