namespace ClinicPortal.Features.Webhooks;

public static class WebhooksFeature
{
    /// <summary>Vapi's webhook: per-clinic credentials, the once-only tool ledger and the runner of the tools each feature adds.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection s)
    {
        s.AddSingleton<WebhookCredentials>();
        s.AddSingleton<ToolLedger>();
        s.AddSingleton<ToolRunner>();
        s.AddSingleton<VapiMessageCounts>();
        s.AddSingleton<AssistantRequests>();
        s.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
        return s;
    }
}
