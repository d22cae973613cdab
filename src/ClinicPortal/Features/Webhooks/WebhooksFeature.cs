using System.Text.Json;
using System.Text.Json.Serialization;

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
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, VapiAnswerContracts.Default); // as ToolJson's: made at compile time
        });
        return s;
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VapiEndpoints.ToolCallsAnswer))]
internal sealed partial class VapiAnswerContracts : JsonSerializerContext;
