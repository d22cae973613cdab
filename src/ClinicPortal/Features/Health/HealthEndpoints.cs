using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Health;

/// <summary>/health/live: the process answers. /health/ready: the database answers and every migration is applied.</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => TypedResults.Json(new { status = "live" })).AllowAnonymous();
        app.MapGet("/health/ready", ReadyAsync).AllowAnonymous();
        // For benchmarks only (Diagnostics:Memory=true, loopback callers): live managed memory after a full collection.
        if (app.ServiceProvider.GetRequiredService<IConfiguration>().GetValue<bool>("Diagnostics:Memory"))
            app.MapGet("/diagnostics/memory", (HttpContext http) => http.Connection.RemoteIpAddress is { } ip && System.Net.IPAddress.IsLoopback(ip)
                ? Results.Json(new { managed_bytes = GC.GetTotalMemory(forceFullCollection: true), working_set_bytes = Environment.WorkingSet })
                : Results.NotFound()).AllowAnonymous();
        return app;
    }

    /// <summary>Anyone may ask, so the answer is the status only; why it is not ready goes to the log.</summary>
    private static async Task<IResult> ReadyAsync(ClinicDb db, ILoggerFactory logs, CancellationToken ct)
    {
        var log = logs.CreateLogger(typeof(HealthEndpoints));
        try
        {
            await using var conn = await db.OpenAsync(ct);
            var pending = await Migrator.PendingAsync(conn);
            if (pending.Count == 0) return TypedResults.Json(new { status = "ready" });
            log.LogWarning("Not ready: migrations not applied: {Pending}", string.Join(", ", pending));
        }
        catch (NpgsqlException e)
        {
            log.LogWarning(e, "Not ready: the database does not answer");
        }
        return TypedResults.Json(new { status = "not ready" }, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
