using System.Text.Json;
using ClinicPortal.Infrastructure.Database;
using Dapper;

namespace ClinicPortal.Features.Calls;

/// <summary>
/// Records Vapi's non-tool messages (status-update, end-of-call-report, transcript, hang, ...) by
/// type, call and the few plain fields the call lifecycle needs. Payloads are not kept: transcripts
/// and summaries carry personal data, which the calls work redacts before storing.
/// </summary>
public sealed class CallMessages(ClinicDb db)
{
    public async Task RecordAsync(Guid clinic, string type, string? callId, JsonElement message, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await conn.ExecuteAsync(ClinicDb.SetClinic + """
            insert into call_messages (clinic_id, call_id, message_type, status, ended_reason, customer_phone)
            values (@clinic, @callId, @type, @status, @endedReason, @phone);
            """, new
        {
            clinic, callId, type = Clip(type),
            status = Clip(Text(message, "status")), endedReason = Clip(Text(message, "endedReason")),
            phone = Clip(CustomerNumber(message)),
        });
    }

    private static string? CustomerNumber(JsonElement message) =>
        (message.TryGetProperty("call", out var call) && call.ValueKind == JsonValueKind.Object ? Nested(call, "customer", "number") : null)
        ?? Nested(message, "customer", "number");

    private static string? Nested(JsonElement obj, string child, string name) =>
        obj.TryGetProperty(child, out var c) && c.ValueKind == JsonValueKind.Object ? Text(c, name) : null;

    private static string? Text(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? Clip(string? s) => s is { Length: > 200 } ? s[..200] : s;
}
