using System.Globalization;
using ClinicPortal.Features.Staff;
using CsvHelper;
using NodaTime;

namespace ClinicPortal.Features.Analytics;

/// <summary>The range a page or an export asks for: the last 7, 30 or 90 days of the clinic's calendar, or custom dates.</summary>
public static class AnalyticsRange
{
    public static (DateOnly From, DateOnly To, string? Problem) Read(string? range, string? from, string? to, string timeZone, IClock? clock = null)
    {
        var today = (clock ?? SystemClock.Instance).GetCurrentInstant().InZone(Shared.ClinicTime.Zone(timeZone)).Date.ToDateOnly();
        if (range is "7" or "30" or "90") return (today.AddDays(1 - int.Parse(range, CultureInfo.InvariantCulture)), today, null);
        if (range is not (null or "custom")) return (today, today, "the range is 7, 30 or 90 days, or custom dates");
        if (!DateOnly.TryParseExact(from, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var f)
            || !DateOnly.TryParseExact(to, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t))
            return (today.AddDays(-29), today, "give both dates as YYYY-MM-DD");
        return (f, t, AnalyticsStore.Problem(f, t));
    }
}

/// <summary>The analytics page's store and its CSV export: GET /api/analytics.csv?table=days|hours|providers|slots|texts&amp;from=&amp;to= (staff).</summary>
public static class AnalyticsFeature
{
    public static IServiceCollection AddAnalytics(this IServiceCollection s) => s.AddSingleton<AnalyticsStore>();

    private static readonly CsvWriterOptions Options = new() { Injection = CsvInjection.Escape, NewLine = "\n" };

    public static IEndpointRouteBuilder MapAnalyticsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/analytics.csv", ExportAsync).RequireAuthorization();
        return app;
    }

    private static async Task<IResult> ExportAsync(string? table, string? from, string? to, HttpContext http, AnalyticsStore store, CancellationToken ct)
    {
        table ??= "days";
        if (table is not ("days" or "hours" or "providers" or "slots" or "texts"))
            return Shared.ProblemResponses.Problem(StatusCodes.Status400BadRequest, "Unknown table", "table is days, hours, providers, slots or texts.");
        var zone = http.User.ClinicTimeZone();
        var (f, t, problem) = AnalyticsRange.Read("custom", from, to, zone);
        if (problem is not null) return Shared.ProblemResponses.Problem(StatusCodes.Status400BadRequest, "Bad range", problem + ".");
        var report = await store.LoadAsync(http.User.Clinic(), zone, f, t, ct);
        var output = new MemoryStream();
        await using (var csv = CsvWriter.Create(output, Options, leaveOpen: true))
        {
            void Row(params object?[] fields)
            {
                foreach (var field in fields) csv.WriteField(Convert.ToString(field, CultureInfo.InvariantCulture));
                csv.EndRecord();
            }
            switch (table)
            {
                case "days":
                    Row("date", "calls", "calls_with_tool_calls", "calls_booked", "conversion_percent", "tool_calls", "collisions", "appointments",
                        "cancelled", "no_shows");
                    foreach (var d in report.Days)
                        Row(d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), d.Calls, d.CallsWithTools, d.CallsBooked,
                            d.Conversion is { } c ? Math.Round(c, 1) : null, d.ToolCalls, d.Collisions, d.Appointments, d.Cancelled, d.NoShows);
                    break;
                case "hours":
                    Row("hour", "calls", "calls_booked", "conversion_percent");
                    foreach (var h in report.Hours) Row(h.Hour, h.Calls, h.CallsBooked, h.Conversion is { } c ? Math.Round(c, 1) : null);
                    break;
                case "providers":
                    Row("provider", "appointments");
                    foreach (var p in report.Providers) Row(p.Name, p.Appointments);
                    break;
                case "slots":
                    Row("iso_weekday", "hour", "appointments");
                    foreach (var s in report.BusiestSlots) Row(s.Weekday, s.Hour, s.Appointments);
                    break;
                default:
                    Row("status", "texts");
                    foreach (var x in report.Texts) Row(x.Status, x.Count);
                    break;
            }
            await csv.FlushAsync(ct);
        }
        return Results.File(output.ToArray(), "text/csv; charset=utf-8", $"analytics-{table}-{f:yyyy-MM-dd}-{t:yyyy-MM-dd}.csv");
    }
}
