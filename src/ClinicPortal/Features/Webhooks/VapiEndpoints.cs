using ClinicPortal.Shared;
using System.Text.Json;
using ClinicPortal.Features.Calls;

namespace ClinicPortal.Features.Webhooks;

/// <summary>POST /api/vapi/webhook (every Vapi server message) and GET /api/vapi/tools.</summary>
public static class VapiEndpoints
{
    public const int MaxBodyBytes = 256 * 1024;

    public static IEndpointRouteBuilder MapVapiEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/vapi").AllowAnonymous(); // the webhook checks the clinic's credential itself
        group.MapPost("/webhook", HandleAsync);
        group.MapGet("/tools", () => TypedResults.Json(ToolDefinitions.All));
        return app;
    }

    private static async Task<IResult> HandleAsync(HttpContext http, WebhookCredentials credentials, ToolRunner tools,
        CallMessages calls, Security.RateLimits limits, ILoggerFactory logs, CancellationToken ct)
    {
        var credential = await credentials.AuthenticateAsync(Secret(http.Request), ct);
        if (credential is not { Revoked: false })
        {
            using var attempt = limits.UnauthenticatedWebhook(http);
            if (!attempt.IsAcquired) return Security.RateLimits.Refusal(attempt);
            logs.CreateLogger(typeof(VapiEndpoints)).LogWarning("Refused a webhook from {Remote}: {Reason} credential",
                http.Connection.RemoteIpAddress, credential is null ? "missing or unknown" : "revoked");
            if (credential is not null) await credentials.RecordAsync(credential, ct);
            return ProblemResponses.Problem(StatusCodes.Status401Unauthorized, "Unauthorized",
                "Send the clinic's webhook secret as 'Authorization: Bearer <secret>' or 'X-Vapi-Secret: <secret>'.");
        }

        using var lease = limits.WebhookRequest(credential.CredentialId);
        if (!lease.IsAcquired) return Security.RateLimits.Refusal(lease);
        http.Items[Latency.WebhookLatency.ClinicItem] = credential.ClinicId;
        if (await RequestBody.ReadAsync(http.Request, MaxBodyBytes, ct) is not { } body) return RequestBody.TooLarge(MaxBodyBytes);
        try
        {
            using var doc = JsonDocument.Parse(body);
            var (type, callId, message) = VapiMessage.ReadEnvelope(doc.RootElement);
            if (type != "tool-calls")
            {
                await calls.RecordAsync(credential.ClinicId, type, callId, message, ct);
                await credentials.RecordAsync(credential, ct);
                return TypedResults.Json(new { });
            }
            var results = await tools.RunAsync(credential.ClinicId, callId, VapiMessage.ToolCalls(message), ct);
            if (results.Any(r => r.Result is not null)) await credentials.RecordAsync(credential, ct); // bad input writes nothing
            return TypedResults.Json(new { results });
        }
        catch (JsonException e)
        {
            return ProblemResponses.Problem(StatusCodes.Status400BadRequest, "Malformed JSON", e.Message);
        }
        catch (BadMessageException e)
        {
            return ProblemResponses.Problem(StatusCodes.Status400BadRequest, "Not a Vapi server message", e.Message);
        }
    }

    private static string? Secret(HttpRequest request)
    {
        var auth = request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return auth[7..].Trim();
        var header = request.Headers["X-Vapi-Secret"].ToString();
        return header.Length > 0 ? header : null;
    }
}
