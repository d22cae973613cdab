using ClinicPortal.Shared;
using System.Text.Json;
using ClinicPortal.Features.Calls;

namespace ClinicPortal.Features.Webhooks;

/// <summary>POST /api/vapi/webhook (every Vapi server message) and GET /api/vapi/tools.</summary>
public static class VapiEndpoints
{
    public const int MaxBodyBytes = 256 * 1024;
    /// <summary>An end-of-call report carries the whole transcript and artifacts: it may be this large; no other message may.</summary>
    public const int MaxReportBytes = 5 * 1024 * 1024;

    /// <summary>Messages Vapi sends that the portal only observes: answered 200 {} and counted, nothing written per message.</summary>
    public static readonly IReadOnlySet<string> ObservedOnly =
        new HashSet<string> { "speech-update", "conversation-update", "model-output", "user-interrupted", "voice-input" };

    public static IEndpointRouteBuilder MapVapiEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/vapi").AllowAnonymous(); // the webhook checks the clinic's credential itself
        group.MapPost("/webhook", HandleAsync);
        group.MapGet("/tools", () => TypedResults.Json(ToolDefinitions.All));
        // What assistant-request answers for the signed-in admin's clinic, to read or paste into Vapi.
        app.MapGet("/api/vapi/assistant", async (HttpContext http, AssistantRequests assistants, CancellationToken ct) =>
            TypedResults.Json(await assistants.AnswerAsync(Staff.StaffClaims.Clinic(http.User), ct))).RequireAuthorization(Staff.StaffClaims.AdminPolicy);
        return app;
    }

    /// <summary>What answers the messages that need more than "received": Vapi's request types and the tool runner.</summary>
    public sealed record Answerers(ToolRunner Tools, CallMessages Calls, VapiMessageCounts Counts, Procedures.KnowledgeBase KnowledgeBase,
        Transfers Transfers, AssistantRequests Assistants);

    private static async Task<IResult> HandleAsync(HttpContext http, WebhookCredentials credentials, [AsParameters] Answerers answerers,
        Security.RateLimits limits, IConfiguration config, ILoggerFactory logs, CancellationToken ct)
    {
        try
        {
            return await AnswerAsync(http, credentials, answerers, limits, config, logs, ct);
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.CharacterNotInRepertoire)
        {
            // Text PostgreSQL cannot store (U+0000): the sender's mistake, and nothing was written.
            return ProblemResponses.Problem(StatusCodes.Status400BadRequest, "Invalid text",
                "A text field of the message holds a NUL character (U+0000), which cannot be stored.");
        }
        catch (Npgsql.NpgsqlException e) when (!ct.IsCancellationRequested)
        {
            // Tool calls say this per call (ToolRunner); here the database failed before or after them.
            logs.CreateLogger(typeof(VapiEndpoints)).LogError(e, "A Vapi message could not reach the database");
            return ProblemResponses.Problem(StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable",
                "The clinic's booking system cannot reach its database right now; try again shortly.");
        }
    }

    private static async Task<IResult> AnswerAsync(HttpContext http, WebhookCredentials credentials, Answerers answerers,
        Security.RateLimits limits, IConfiguration config, ILoggerFactory logs, CancellationToken ct)
    {
        var (tools, calls, counts) = (answerers.Tools, answerers.Calls, answerers.Counts);
        if (http.Request.ContentType is { Length: > 0 } contentType && !http.Request.HasJsonContentType())
            return ProblemResponses.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"Vapi server messages are JSON (application/json), not '{contentType}'.");
        var credential = await credentials.AuthenticateAsync(http.Request, ct);
        byte[]? body = null;
        var signature = SignatureCheck.Missing;
        if (credential is null && credentials.IsSigned(http.Request))
        {
            // An HMAC credential signs the body: read it (within the largest message's limit), then check.
            if ((body = await RequestBody.ReadAsync(http.Request, MaxReportBytes, ct)) is null) return RequestBody.TooLarge(MaxReportBytes);
            (credential, signature) = await credentials.VerifyAsync(http.Request, body, SignedUrl(http.Request, config), ct);
        }
        if (credential is not { Revoked: false })
        {
            using var attempt = limits.UnauthenticatedWebhook(http);
            if (!attempt.IsAcquired) return Security.RateLimits.Refusal(attempt);
            logs.CreateLogger(typeof(VapiEndpoints)).LogWarning("Refused a webhook from {Remote}: {Reason}",
                http.Connection.RemoteIpAddress, credential is null ? $"no credential matched ({signature})" : "revoked credential");
            if (credential is not null) await credentials.RecordAsync(credential, ct);
            return ProblemResponses.Problem(StatusCodes.Status401Unauthorized, "Unauthorized", signature switch
            {
                SignatureCheck.Stale => $"The request's timestamp is more than {HmacScheme.MaxAge.TotalMinutes:0} minutes old; an HMAC-signed request cannot be replayed.",
                SignatureCheck.Ahead => $"The request's timestamp is more than {HmacScheme.MaxAhead.TotalMinutes:0} minute ahead of this server's clock.",
                SignatureCheck.Mismatch => "The HMAC signature does not match the body and timestamp with any of this portal's credentials.",
                _ => "Send the clinic's webhook secret as 'Authorization: Bearer <secret>' (or in the header its credential names, " +
                     "or 'X-Vapi-Secret'), or sign the request with the clinic's HMAC credential.",
            });
        }

        using var lease = limits.WebhookRequest(credential.CredentialId);
        if (!lease.IsAcquired) return Security.RateLimits.Refusal(lease);
        http.Items[Latency.WebhookLatency.ClinicItem] = credential.ClinicId;
        body ??= await RequestBody.ReadAsync(http.Request, MaxReportBytes, ct);
        if (body is null) return RequestBody.TooLarge(MaxReportBytes);
        try
        {
            using var doc = JsonDocument.Parse(body.AsMemory()); // reads the bytes in place: the body is held once
            var (type, callId, message) = VapiMessage.ReadEnvelope(doc.RootElement);
            if (type != "end-of-call-report" && body.Length > MaxBodyBytes) return RequestBody.TooLarge(MaxBodyBytes);
            if (ObservedOnly.Contains(type))
            {
                counts.Observed(type);
                return TypedResults.Json(new { });
            }
            switch (type)
            {
                case "function-call":
                    return await LegacyFunctionCallAsync(tools, credential.ClinicId, callId, message, ct);
                case "assistant-request":
                    return TypedResults.Json(await answerers.Assistants.AnswerAsync(credential.ClinicId, ct));
                case "knowledge-base-request":
                    return TypedResults.Json(new { documents = await answerers.KnowledgeBase.DocumentsAsync(credential.ClinicId, message, ct) });
                case "transfer-destination-request":
                    var (destination, error) = await answerers.Transfers.DestinationAsync(credential.ClinicId, callId, ct);
                    return destination is null ? TypedResults.Json(new { error }) : TypedResults.Json(new { destination });
            }
            if (type != "tool-calls")
            {
                await calls.RecordAsync(credential.ClinicId, type, callId, message, ct);
                await credentials.RecordAsync(credential, ct);
                return TypedResults.Json(new { });
            }
            var batch = VapiMessage.ToolCalls(message);
            var results = await tools.RunAsync(credential.ClinicId, callId, batch.Calls, ct);
            if (results.Any(r => r.Result is not null)) await credentials.RecordAsync(credential, ct); // bad input writes nothing
            // A Vapi message always gets 200: what could not run is said per call, or for the list in "error".
            return TypedResults.Json(new ToolCallsAnswer(results, batch.Problem)); // nulls left out (WebhooksFeature's JSON options)
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

    /// <summary>
    /// The legacy function-call message ({"functionCall": {"name", "parameters"}}): run through the same tools, answered
    /// {"result": …} (the error's words when it could not run). It carries no id, so each one runs as a new call.
    /// </summary>
    private static async Task<IResult> LegacyFunctionCallAsync(ToolRunner tools, Guid clinic, string? callId, JsonElement message, CancellationToken ct)
    {
        var call = message.TryGetProperty("functionCall", out var f) && f.ValueKind == JsonValueKind.Object ? f : default;
        var wrapped = call.ValueKind == JsonValueKind.Object
            ? JsonDocument.Parse($$"""{"toolCallList": [{"id": "function-call-{{Guid.NewGuid():N}}", "function": {{call.GetRawText()}}}]}""").RootElement
            : JsonDocument.Parse("""{"toolCallList": []}""").RootElement;
        var batch = VapiMessage.ToolCalls(wrapped);
        if (batch.Calls.Count == 0) return TypedResults.Json(new { result = "The function call names no function." });
        var answer = (await tools.RunAsync(clinic, callId, batch.Calls, ct)).Single();
        return TypedResults.Json(new { result = answer.Result ?? answer.Error });
    }

    /// <summary>Vapi's ServerMessageResponseToolCalls: results, and an error about the list itself when there is one.</summary>
    internal sealed record ToolCallsAnswer(IReadOnlyList<ToolCallResult> Results, string? Error);

    /// <summary>The address the sender signed ({url} in an HMAC payload format): Portal:PublicBaseUrl and this path, as Twilio's.</summary>
    private static string SignedUrl(HttpRequest request, IConfiguration config) => Messages.TwilioSignature.RequestUrl(request, config);
}
