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
        var group = app.MapGroup("/api/vapi");
        group.MapPost("/webhook", HandleAsync);
        group.MapGet("/tools", () => TypedResults.Json(ToolDefinitions.All));
        return app;
    }

    private static async Task<IResult> HandleAsync(HttpContext http, WebhookCredentials credentials, ToolRunner tools,
        CallMessages calls, ILoggerFactory logs, CancellationToken ct)
    {
        var credential = await credentials.AuthenticateAsync(Secret(http.Request), ct);
        if (credential is not { Revoked: false })
        {
            logs.CreateLogger(typeof(VapiEndpoints)).LogWarning("Refused a webhook from {Remote}: {Reason} credential",
                http.Connection.RemoteIpAddress, credential is null ? "missing or unknown" : "revoked");
            if (credential is not null) await credentials.RecordAsync(credential, ct);
            return ProblemResponses.Problem(StatusCodes.Status401Unauthorized, "Unauthorized",
                "Send the clinic's webhook secret as 'Authorization: Bearer <secret>' or 'X-Vapi-Secret: <secret>'.");
        }

        http.Items[Latency.WebhookLatency.ClinicItem] = credential.ClinicId;
        var body = await ReadBodyAsync(http.Request, ct);
        if (body is null)
            return ProblemResponses.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"The body is over {MaxBodyBytes / 1024} KB.");
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

    /// <summary>The body, or null when it is over the limit (whatever Content-Length claimed).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
