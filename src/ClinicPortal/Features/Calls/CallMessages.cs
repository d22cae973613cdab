using System.Text.Json;
using ClinicPortal.Features.Privacy;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Calls;

/// <summary>
/// Records Vapi's non-tool messages. Every one leaves a line in call_messages (type, status, no payload);
/// status-update, transfer-update and end-of-call-report also move the call's row forward; hang counts a stall on it. Free text (transcript,
/// summary, structured data) is redacted, then sealed under the caller's data key (DataKeys), and is never logged. An end-of-call report
/// without a booking queues the follow-up text in the same transaction (<see cref="Messages.FollowUps"/>).
/// </summary>
public sealed class CallMessages(ClinicDb db, Messages.FollowUps followUps, DataKeys keys)
{
    private const string Upsert = """
        insert into calls (clinic_id, call_id, status, caller_phone, started_at, ended_at, ended_reason, duration_seconds,
                           summary, transcript, structured_data, data_key_id, summary_sealed, transcript_sealed, structured_sealed)
        values (@clinic, @callId, @status, @phone, @startedAt, @endedAt, @endedReason, @duration, @summary, @transcript, @structured::jsonb,
                @keyId, @summarySealed, @transcriptSealed, @structuredSealed)
        on conflict (clinic_id, call_id) do update set
            status = case when call_status_rank(excluded.status) > call_status_rank(calls.status) then excluded.status else calls.status end,
            caller_phone = coalesce(calls.caller_phone, excluded.caller_phone),
            started_at = coalesce(calls.started_at, excluded.started_at),
            ended_at = coalesce(excluded.ended_at, calls.ended_at),
            ended_reason = coalesce(excluded.ended_reason, calls.ended_reason),
            duration_seconds = coalesce(excluded.duration_seconds, calls.duration_seconds),
            summary = coalesce(excluded.summary, calls.summary),
            transcript = coalesce(excluded.transcript, calls.transcript),
            structured_data = coalesce(excluded.structured_data, calls.structured_data),
            data_key_id = coalesce(excluded.data_key_id, calls.data_key_id),
            summary_sealed = coalesce(excluded.summary_sealed, calls.summary_sealed),
            transcript_sealed = coalesce(excluded.transcript_sealed, calls.transcript_sealed),
            structured_sealed = coalesce(excluded.structured_sealed, calls.structured_sealed),
            updated_at = now();
        """;

    public async Task RecordAsync(Guid clinic, string type, string? callId, JsonElement message, CancellationToken ct)
    {
        var call = message.TryGetProperty("call", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var phone = Clip(Nested(call, "customer", "number") ?? Nested(message, "customer", "number"));
        var status = type switch
        {
            "status-update" => Clip(Text(message, "status")),
            "end-of-call-report" => "ended",
            "transfer-update" => "forwarding", // the calls board shows the call as transferred
            _ => null,
        };
        await db.WriteAsync(clinic, async (conn, tx) =>
        {
            await conn.Command("""
                insert into call_messages (clinic_id, call_id, message_type, status, ended_reason, customer_phone)
                values (@clinic, @callId, @type, @status, @endedReason, @phone);
                """, tx).With("clinic", clinic).With("callId", callId).With("type", Clip(type)).With("status", status)
                .With("endedReason", Clip(Text(message, "endedReason"))).With("phone", phone).RunAsync(ct);
            if (callId is not null && type == "hang")
            {
                // The assistant is keeping the caller waiting: counted on the call, which is then on the line.
                await conn.Command("""
                    insert into calls (clinic_id, call_id, status, caller_phone, hangs, last_hang_at) values (@clinic, @callId, 'in-progress', @phone, 1, now())
                    on conflict (clinic_id, call_id) do update set hangs = calls.hangs + 1, last_hang_at = now(), updated_at = now(),
                        caller_phone = coalesce(calls.caller_phone, excluded.caller_phone);
                    select emit_event('call', @payload::jsonb);
                    """, tx).With("clinic", clinic).With("callId", callId).With("phone", phone)
                    .With("payload", Events.EventPayloads.Serialize(new Events.CallEventPayload(callId, "hang"))).RunAsync(ct);
            }
            if (callId is not null && status is not null)
            {
                var analysis = message.TryGetProperty("analysis", out var a) && a.ValueKind == JsonValueKind.Object ? a : default;
                var report = type == "end-of-call-report";
                var said = report ? new Said(Redacted(Text(analysis, "summary") ?? Text(message, "summary")),
                    Redacted(Text(message, "transcript") ?? Nested(message, "artifact", "transcript")),
                    analysis.ValueKind == JsonValueKind.Object && analysis.TryGetProperty("structuredData", out var sd) ? RedactJson(sd)?.ToJsonString() : null)
                    : new Said(null, null, null);
                var sealedSaid = report && keys.CanSeal && (said.Summary ?? said.Transcript ?? said.Structured) is not null
                    ? Seal(said, await keys.ForCallAsync(conn, tx, clinic, callId, phone, ct), clinic, callId) : null;
                if (sealedSaid is not null) said = new Said(null, null, null); // kept only sealed
                await conn.Command(Upsert, tx).With("clinic", clinic).With("callId", callId).With("status", status).With("phone", phone)
                    .With("startedAt", Time(call, "startedAt") ?? Time(message, "startedAt"))
                    .With("endedAt", report ? Time(message, "endedAt") ?? Time(call, "endedAt") ?? DateTime.UtcNow : (DateTime?)null)
                    .With("endedReason", Clip(Text(message, "endedReason")))
                    .With("duration", report ? Duration(message, call) : null)
                    .With("summary", said.Summary).With("transcript", said.Transcript).With("structured", said.Structured)
                    .With("keyId", sealedSaid?.KeyId).With("summarySealed", sealedSaid?.Summary).With("transcriptSealed", sealedSaid?.Transcript)
                    .With("structuredSealed", sealedSaid?.Structured)
                    .RunAsync(ct);
                await conn.Command("select emit_event('call', @payload::jsonb)", tx)
                    .With("payload", Events.EventPayloads.Serialize(new Events.CallEventPayload(callId, status))).RunAsync(ct);
                // The hand-off text, if one is due, is written with the call's end (transactional outbox).
                if (report) await followUps.QueueAsync(conn, tx, clinic, callId, Mentioned(analysis));
            }
        }, ct);
    }

    /// <summary>The procedure the report's structured data names (redacted), for the follow-up text.</summary>
    private static string? Mentioned(JsonElement analysis) =>
        analysis.ValueKind == JsonValueKind.Object && analysis.TryGetProperty("structuredData", out var sd) ? Redacted(Text(sd, "procedure")) : null;

    /// <summary>What the caller and the assistant said, redacted: summary, transcript and structured data (JSON).</summary>
    private sealed record Said(string? Summary, string? Transcript, string? Structured);

    private sealed record SealedSaid(Guid KeyId, byte[]? Summary, byte[]? Transcript, byte[]? Structured);

    /// <summary>Each part sealed under the caller's (or the call's) data key, bound to this call: CallStore opens them.</summary>
    private SealedSaid Seal(Said said, Privacy.DataKey key, Guid clinic, string callId) => new(key.Id,
        said.Summary is null ? null : keys.Seal(said.Summary, key, clinic, CallStore.SummaryRecord(callId)),
        said.Transcript is null ? null : keys.Seal(said.Transcript, key, clinic, CallStore.TranscriptRecord(callId)),
        said.Structured is null ? null : keys.Seal(said.Structured, key, clinic, CallStore.StructuredRecord(callId)));

    /// <summary>The report's durationSeconds, or else the time from startedAt to endedAt (in the report, or its call).</summary>
    private static decimal? Duration(JsonElement message, JsonElement call)
    {
        if (message.TryGetProperty("durationSeconds", out var d) && d.ValueKind == JsonValueKind.Number) return d.GetDecimal();
        var (started, ended) = (Time(message, "startedAt") ?? Time(call, "startedAt"), Time(message, "endedAt") ?? Time(call, "endedAt"));
        return started is { } s && ended is { } e && e >= s ? (decimal)Math.Round((e - s).TotalSeconds, 1) : null;
    }

    /// <summary>Every string in the structured data, redacted; the shape stays.</summary>
    private static System.Text.Json.Nodes.JsonNode? RedactJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => System.Text.Json.Nodes.JsonValue.Create(PiiRedactor.Redact(e.GetString()!)),
        JsonValueKind.Object => new System.Text.Json.Nodes.JsonObject(e.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, RedactJson(p.Value)))),
        JsonValueKind.Array => new System.Text.Json.Nodes.JsonArray(e.EnumerateArray().Select(RedactJson).ToArray()),
        _ => System.Text.Json.Nodes.JsonNode.Parse(e.GetRawText()),
    };

    private static string? Redacted(string? text) => text is null ? null : PiiRedactor.Redact(text.Length > 100_000 ? text[..100_000] : text);

    private static string? Nested(JsonElement obj, string child, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(child, out var c) && c.ValueKind == JsonValueKind.Object ? Text(c, name) : null;

    private static string? Text(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static DateTime? Time(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.TryGetDateTime(out var t)
            ? t.ToUniversalTime() : null;

    private static string? Clip(string? s) => s is { Length: > 200 } ? s[..200] : s;
}
