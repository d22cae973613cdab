using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Health;

/// <summary>/health/live: the process answers. /health/ready: the database answers and every migration is applied.</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => TypedResults.Json(new { status = "live" }));
        app.MapGet("/health/ready", ReadyAsync);
        // For benchmarks only (Diagnostics:Memory=true, loopback callers): live managed memory after a full collection.
        if (app.ServiceProvider.GetRequiredService<IConfiguration>().GetValue<bool>("Diagnostics:Memory"))
            app.MapGet("/diagnostics/memory", (HttpContext http) => http.Connection.RemoteIpAddress is { } ip && System.Net.IPAddress.IsLoopback(ip)
                ? Results.Json(new { managed_bytes = GC.GetTotalMemory(forceFullCollection: true), working_set_bytes = Environment.WorkingSet })
                : Results.NotFound());
        return app;
    }

    private static async Task<IResult> ReadyAsync(ClinicDb db, CancellationToken ct)
    {
        try
        {
            await using var conn = await db.OpenAsync(ct);
            var pending = await Migrator.PendingAsync(conn);
            return pending.Count == 0
                ? TypedResults.Json(new { status = "ready" })
                : TypedResults.Json(new { status = "not ready", pending_migrations = pending }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (NpgsqlException e)
        {
            return TypedResults.Json(new { status = "not ready", database = e.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
