using ClinicPortal.Shared;
using ClinicPortal.Features.Events;
using ClinicPortal.Features.Webhooks;
using ClinicPortal.Infrastructure.Database;
using Microsoft.Extensions.Options;

namespace ClinicPortal.Features.Messages;

/// <summary>
/// Twilio's callbacks, each checked against X-Twilio-Signature before anything is read or written:
/// POST /api/twilio/status (delivery status of a message we sent; the URL names its clinic and message)
/// and POST /api/twilio/inbound (texts to our number: STOP and START opt a number out and back in).
/// </summary>
public static class TwilioEndpoints
{
    public static readonly string[] StopWords = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"];
    /// <summary>Twilio's own opt-in keywords (OPTIN is not one of them).</summary>
    public static readonly string[] StartWords = ["START", "YES", "UNSTOP"];

    /// <summary>Twilio's callbacks are a few hundred bytes; anything over this is refused before it is parsed.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapTwilioEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/twilio").AllowAnonymous().RequireRateLimiting(Security.RateLimits.TwilioPolicy); // signed by Twilio
        group.MapPost("/status", StatusAsync);
        group.MapPost("/inbound", InboundAsync);
        return app;
    }

    private static async Task<(IFormCollection? Form, IResult? Refusal)> AuthenticateAsync(HttpRequest request, IOptions<TwilioOptions> twilio,
        IConfiguration config, ILogger log, CancellationToken ct)
    {
        if (twilio.Value.AuthToken is not { Length: > 0 } token)
            return (null, ProblemResponses.Problem(StatusCodes.Status403Forbidden, "Forbidden", "Twilio callbacks are refused: Twilio:AuthToken is not configured."));
        if (!request.HasFormContentType)
            return (null, ProblemResponses.Problem(StatusCodes.Status400BadRequest, "Not a Twilio callback", "Expected an application/x-www-form-urlencoded body."));
        if (await RequestBody.ReadAsync(request, MaxBodyBytes, ct) is not { } body) return (null, RequestBody.TooLarge(MaxBodyBytes));
        request.Body = new MemoryStream(body); // parsed from the bytes already read and counted
        var form = await request.ReadFormAsync(ct);
        if (!TwilioSignature.IsValid(token, TwilioSignature.RequestUrl(request, config), form, request.Headers["X-Twilio-Signature"]))
        {
            log.LogWarning("Refused a Twilio callback to {Path} from {Remote}: bad signature", request.Path, request.HttpContext.Connection.RemoteIpAddress);
            return (null, ProblemResponses.Problem(StatusCodes.Status403Forbidden, "Forbidden", "The X-Twilio-Signature header does not match this request."));
        }
        return (form, null);
    }

    /// <summary>Twilio's MessageStatus as ours, with its rank: a status never moves back (callbacks can arrive out of order).</summary>
    private static (string Status, int Rank)? Map(string? twilioStatus) => twilioStatus switch
    {
        "accepted" or "scheduled" or "queued" or "sending" or "sent" => ("sent", 2),
        "delivered" or "read" or "partially_delivered" => ("delivered", 3), // Twilio's own status is kept beside ours
        "undelivered" => ("undelivered", 3),
        "failed" or "canceled" => ("failed", 3),
        _ => null,
    };

    private static async Task<IResult> StatusAsync(HttpContext http, ClinicDb db, IOptions<TwilioOptions> twilio,
        IConfiguration config, ILoggerFactory logs, CancellationToken ct)
    {
        var (form, refusal) = await AuthenticateAsync(http.Request, twilio, config, logs.CreateLogger(typeof(TwilioEndpoints)), ct);
        if (form is null) return refusal!;
        if (!Guid.TryParse(http.Request.Query["c"], out var clinic) || !Guid.TryParse(http.Request.Query["m"], out var message))
            return ProblemResponses.Problem(StatusCodes.Status400BadRequest, "Unknown message", "The callback URL must name the clinic (c) and message (m).");
        if (Map(form["MessageStatus"]) is not { } mapped)
            return ProblemResponses.Problem(StatusCodes.Status400BadRequest, "Unknown status", $"MessageStatus '{form["MessageStatus"]}' is not one of Twilio's.");
        int? code = int.TryParse(form["ErrorCode"], out var c) ? c : null;

        var updated = await db.RunAsync(conn => conn.ForClinic(clinic, """
                with current as (
                    select id, case when status in ('delivered', 'undelivered') or (status = 'failed' and twilio_sid is not null) then 3
                                    when status = 'sent' then 2 else 1 end as rank
                      from sms_messages where clinic_id = @clinic and id = @message and (twilio_sid is null or twilio_sid = @sid) for update),
                updated as (
                    update sms_messages m set
                           status = case when @rank > c.rank then @status else m.status end,
                           twilio_status = case when @rank > c.rank then @twilioStatus else m.twilio_status end,
                           error_code = case when @rank > c.rank then coalesce(@code, m.error_code) else m.error_code end,
                           twilio_sid = coalesce(m.twilio_sid, @sid), sent_at = coalesce(m.sent_at, now()), updated_at = now()
                      from current c
                     where m.clinic_id = @clinic and m.id = c.id
                    returning m.id, m.kind, m.status)
                select u.status from updated u, lateral (select emit_event('sms', jsonb_build_object('message_id', u.id, 'kind', u.kind, 'status', u.status))) e;
                """).With("message", message).With("status", mapped.Status).With("rank", mapped.Rank).With("sid", (string?)form["MessageSid"])
                .With("twilioStatus", (string?)form["MessageStatus"]).With("code", code).ScalarAsync<string>(ct), ct);
        return updated is null
            ? ProblemResponses.Problem(StatusCodes.Status404NotFound, "Unknown message", "No message of that clinic matches this callback.")
            : TypedResults.NoContent();
    }

    private static async Task<IResult> InboundAsync(HttpContext http, ClinicDb db, IOptions<TwilioOptions> twilio,
        IConfiguration config, ILoggerFactory logs, CancellationToken ct)
    {
        var (form, refusal) = await AuthenticateAsync(http.Request, twilio, config, logs.CreateLogger(typeof(TwilioEndpoints)), ct);
        if (form is null) return refusal!;
        var from = (string?)form["From"];
        var word = ((string?)form["Body"])?.Trim().ToUpperInvariant();
        // With Advanced Opt-Out, Twilio says what the text was (OptOutType: STOP, START or HELP), custom keywords included;
        // without it, the standard keywords decide.
        var (optOut, optIn) = (string?)form["OptOutType"] is { Length: > 0 } kind
            ? (kind.Equals("STOP", StringComparison.OrdinalIgnoreCase), kind.Equals("START", StringComparison.OrdinalIgnoreCase))
            : (StopWords.Contains(word), StartWords.Contains(word));
        if ((optOut || optIn) && from is not null && System.Text.RegularExpressions.Regex.IsMatch(from, @"^\+[1-9][0-9]{7,14}$"))
        {
            await db.RunAsync(async conn =>
            {
                var clinics = await conn.Command("select sms_clinics_for_phone(@from)").With("from", from).ListAsync(r => r.GetGuid(0), ct);
                foreach (var clinic in clinics)
                {
                    // One clinic at a time, each under its own row-level security.
                    await conn.ForClinic(clinic, optOut
                        ? """
                          insert into sms_opt_outs (clinic_id, phone, reason) values (@clinic, @from, 'stop_keyword') on conflict do nothing;
                          select audit('patient:sms', 'sms.opted_out', 'phone', @masked, jsonb_build_object('keyword', @word));
                          """
                        : """
                          delete from sms_opt_outs where clinic_id = @clinic and phone = @from;
                          select audit('patient:sms', 'sms.opted_in', 'phone', @masked, jsonb_build_object('keyword', @word));
                          """).With("from", from).With("word", word).With("masked", "…" + from[^4..]).RunAsync(ct);
                }
                return clinics.Count;
            }, ct);
        }
        // Twilio answers STOP and START itself (Advanced Opt-Out); we reply nothing.
        return Results.Content("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>", "text/xml");
    }
}
