namespace ClinicPortal.Features.Latency;

public static class LatencyFeature
{
    /// <summary>Webhook timing per clinic, flushed off the request path, and the dashboard's percentiles.</summary>
    public static IServiceCollection AddLatency(this IServiceCollection s)
    {
        s.AddSingleton<WebhookLatency>();
        s.AddHostedService(sp => sp.GetRequiredService<WebhookLatency>());
        s.AddSingleton<LatencyStore>();
        return s;
    }

    public static IApplicationBuilder UseWebhookTiming(this IApplicationBuilder app) => WebhookLatency.UseWebhookTiming(app);
}
