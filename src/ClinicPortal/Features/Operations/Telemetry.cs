using Microsoft.AspNetCore.Components.Server.Circuits;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ClinicPortal.Features.Operations;

/// <summary>
/// Metrics and traces (OpenTelemetry; docs/operations.md):
/// - metrics: ASP.NET Core, Kestrel, SignalR, Npgsql, the .NET runtime and ClinicMetrics, served in the Prometheus text
///   format at GET /metrics to `Authorization: Bearer &lt;Metrics:ScrapeToken&gt;` (404 when no token is configured, 401 for a
///   wrong or missing one);
/// - traces: one per request (ASP.NET Core) down to its SQL (Npgsql), made only when OTEL_EXPORTER_OTLP_ENDPOINT is set;
/// - both exported over OTLP then (the exporter reads the OTEL_* settings itself: protocol, headers, batching).
/// </summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ClinicMetrics>();
        builder.Services.AddScoped<CircuitHandler, CircuitCounter>();
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("clinicportal"))
            .WithMetrics(m =>
            {
                m.AddAspNetCoreInstrumentation()
                    .AddMeter("Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections", "Microsoft.AspNetCore.SignalR",
                        "Microsoft.AspNetCore.Components.Server.Circuits", "System.Runtime", "Npgsql", ClinicMetrics.MeterName)
                    .AddPrometheusExporter();
                if (otlp) m.AddOtlpExporter();
            });
        // Traces only when they go somewhere: unexported spans would cost every webhook for nothing.
        if (otlp)
            telemetry.WithTracing(t => t.AddAspNetCoreInstrumentation(o => o.Filter = http => http.Request.Path != MetricsPath).AddNpgsql()
                .AddOtlpExporter());
        return builder;
    }

    /// <summary>GET /metrics for the scraper that holds the token; nothing (404) when no token is configured.</summary>
    public static WebApplication UseMetricsEndpoint(this WebApplication app)
    {
        var token = app.Configuration["Metrics:ScrapeToken"];
        app.UseWhen(http => http.Request.Path == MetricsPath, branch =>
        {
            branch.Use(async (http, next) =>
            {
                if (string.IsNullOrEmpty(token))
                {
                    await Shared.ProblemResponses.Problem(StatusCodes.Status404NotFound, "Not found", "There is nothing here.").ExecuteAsync(http);
                    return;
                }
                var presented = http.Request.Headers.Authorization.ToString();
                var expected = "Bearer " + token;
                if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                        System.Text.Encoding.UTF8.GetBytes(presented), System.Text.Encoding.UTF8.GetBytes(expected)))
                {
                    http.Response.Headers.WWWAuthenticate = "Bearer";
                    await Shared.ProblemResponses.Problem(StatusCodes.Status401Unauthorized, "Unauthorized",
                        "Send the scrape token as 'Authorization: Bearer <Metrics:ScrapeToken>'.").ExecuteAsync(http);
                    return;
                }
                await next(http);
            });
            branch.UseOpenTelemetryPrometheusScrapingEndpoint(MetricsPath);
        });
        return app;
    }

    /// <summary>Counts open circuits for clinicportal.circuits.open.</summary>
    private sealed class CircuitCounter(ClinicMetrics metrics) : CircuitHandler
    {
        public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken ct)
        {
            metrics.CircuitOpened();
            return Task.CompletedTask;
        }

        public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken ct)
        {
            metrics.CircuitClosed();
            return Task.CompletedTask;
        }
    }
}
