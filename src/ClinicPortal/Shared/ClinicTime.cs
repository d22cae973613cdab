using ClinicPortal.Features.Webhooks;
using NodaTime;
using NodaTime.Text;

namespace ClinicPortal.Shared;

/// <summary>Clinic-local dates and times, resolved against the clinic's IANA zone (docs/design.md, Time).</summary>
public static class ClinicTime
{
    private static readonly OffsetDateTimePattern IsoWithOffset =
        OffsetDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'sso<+HH:mm>");
    private static readonly LocalDatePattern DatePattern = LocalDatePattern.Iso;
    private static readonly LocalTimePattern TimePattern = LocalTimePattern.CreateWithInvariantCulture("HH:mm");

    public static DateTimeZone Zone(string timeZone) =>
        DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone) ?? throw new InvalidOperationException($"unknown time zone {timeZone}");

    public static string Format(Instant instant, DateTimeZone zone) => IsoWithOffset.Format(instant.InZone(zone).ToOffsetDateTime());

    /// <summary>A UTC time as staff read it in the clinic's zone, e.g. "Fri 4 Dec 10:00".</summary>
    public static string Display(DateTime utc, string timeZone, string pattern) =>
        Instant.FromDateTimeUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).InZone(Zone(timeZone))
            .ToString(pattern, System.Globalization.CultureInfo.GetCultureInfo("en-GB"));

    public static LocalDate ParseDate(string text, string argument) =>
        DatePattern.Parse(text) is { Success: true } r ? r.Value
            : throw new ToolArgumentException($"argument '{argument}' must be a date as YYYY-MM-DD");

    public static LocalTime ParseTime(string text, string argument) =>
        TimePattern.Parse(text) is { Success: true } r ? r.Value
            : throw new ToolArgumentException($"argument '{argument}' must be a clinic-local time as HH:mm");

    /// <summary>
    /// The instant of a local date and time, or null when it does not exist (clocks going forward).
    /// An ambiguous time (clocks going back) resolves to its first occurrence.
    /// </summary>
    public static (Instant Instant, bool Ambiguous)? Resolve(DateTimeZone zone, LocalDateTime local)
    {
        var mapping = zone.MapLocal(local);
        return mapping.Count switch
        {
            0 => null,
            1 => (mapping.Single().ToInstant(), false),
            _ => (mapping.First().ToInstant(), true),
        };
    }
}
