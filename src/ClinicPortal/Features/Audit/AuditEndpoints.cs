using ClinicPortal.Shared;
using ClinicPortal.Features.Booking;
using ClinicPortal.Features.Staff;
using NodaTime;

namespace ClinicPortal.Features.Audit;

/// <summary>GET /admin/audit.csv: the filtered audit trail as CSV, for the admins of the signed-in clinic.</summary>
public static class AuditEndpoints
{
    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/audit.csv", ExportAsync).RequireAuthorization(StaffClaims.AdminPolicy);
        return app;
    }

    private static async Task ExportAsync(HttpContext http, AuditLogStore store, string? from, string? to, string? action, string? actor, string? subject)
    {
        var user = http.User;
        if (!TryDay(from, user.ClinicTimeZone(), 0, out var fromUtc) || !TryDay(to, user.ClinicTimeZone(), 1, out var toUtc))
        {
            await TypedResults.Problem(title: "Bad date", detail: "from and to are dates as YYYY-MM-DD.", statusCode: 400).ExecuteAsync(http);
            return;
        }
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-{user.FindFirst(StaffClaims.ClinicSlug)?.Value}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv\"";
        await store.ExportCsvAsync(user.Clinic(), new AuditFilter(fromUtc, toUtc, action, actor, subject), user.Actor(), http.Response.Body, http.RequestAborted);
    }

    /// <summary>A clinic-local day's start (plus days) as UTC; an absent value is no bound.</summary>
    public static bool TryDay(string? text, string timeZone, int plusDays, out DateTime? utc)
    {
        utc = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", out var day)) return false;
        utc = ClinicTime.Zone(timeZone).AtStartOfDay(LocalDate.FromDateOnly(day).PlusDays(plusDays)).ToDateTimeUtc();
        return true;
    }
}
