using ClinicPortal.Features.Privacy;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Calls;

public sealed record CallRow(string CallId, string Status, string? CallerPhone, DateTime? StartedAt, DateTime? EndedAt, string? EndedReason,
    decimal? DurationSeconds, string? Summary, string? Transcript, string? StructuredData);

/// <summary>
/// A call as staff read it: summary, transcript and structured data opened from their seal (DataKeys; null once the
/// patient was erased), each read audited as call.transcript_read with the reader; and the appointments booked or moved
/// during it (found through its tool calls, which carry the call id).
/// </summary>
public sealed class CallStore(ClinicDb db, DataKeys keys)
{
    public static string SummaryRecord(string callId) => "summary:" + callId;
    public static string TranscriptRecord(string callId) => "transcript:" + callId;
    public static string StructuredRecord(string callId) => "structured:" + callId;

    public Task<(CallRow? Call, IReadOnlyList<Guid> Appointments)> GetAsync(Guid clinic, string callId, string actor, CancellationToken ct = default) =>
        db.WriteAsync(clinic, async (conn, tx) =>
        {
            var row = await conn.Command("""
                select call_id, status, caller_phone, started_at, ended_at, ended_reason, duration_seconds, summary, transcript,
                       structured_data::text, summary_sealed, transcript_sealed, structured_sealed
                  from calls where call_id = @callId
                """, tx).With("callId", callId).FirstOrDefaultAsync(r => (Call: new CallRow(r.GetString(0), r.GetString(1), r.Value<string>(2),
                    r.Value<DateTime?>(3), r.Value<DateTime?>(4), r.Value<string>(5), r.Value<decimal?>(6), r.Value<string>(7), r.Value<string>(8),
                    r.Value<string>(9)), Sealed: (Summary: r.Value<byte[]>(10), Transcript: r.Value<byte[]>(11), Structured: r.Value<byte[]>(12))), ct);
            var call = row.Call;
            if (call is not null)
            {
                var s = row.Sealed;
                call = call with
                {
                    Summary = s.Summary is null ? call.Summary : await keys.OpenAsync(conn, tx, s.Summary, clinic, SummaryRecord(callId), ct),
                    Transcript = s.Transcript is null ? call.Transcript : await keys.OpenAsync(conn, tx, s.Transcript, clinic, TranscriptRecord(callId), ct),
                    StructuredData = s.Structured is null ? call.StructuredData : await keys.OpenAsync(conn, tx, s.Structured, clinic, StructuredRecord(callId), ct),
                };
                if (call.Summary is not null || call.Transcript is not null || call.StructuredData is not null)
                    await conn.Command("select audit(@actor, 'call.transcript_read', 'call', @callId, '{}')", tx)
                        .With("actor", actor).With("callId", callId).RunAsync(ct);
            }
            var appointments = await conn.Command("""
                select distinct (result::jsonb ->> 'appointment_id')::uuid from tool_calls
                 where call_id = @callId and outcome in ('booked', 'rescheduled')
                """, tx).With("callId", callId).ListAsync(r => r.GetGuid(0), ct);
            return (call, (IReadOnlyList<Guid>)appointments);
        }, ct);
}
