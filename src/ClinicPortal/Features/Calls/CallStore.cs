using ClinicPortal.Infrastructure.Database;
using Microsoft.EntityFrameworkCore;

namespace ClinicPortal.Features.Calls;

public sealed record CallRow(string CallId, string Status, string? CallerPhone, DateTime? StartedAt, DateTime? EndedAt, string? EndedReason,
    decimal? DurationSeconds, string? Summary, string? Transcript, string? StructuredData);

/// <summary>A call and the appointments booked or moved during it (found through its tool calls, which carry the call id).</summary>
public sealed class CallStore(ClinicDb db)
{
    public Task<(CallRow? Call, IReadOnlyList<Guid> Appointments)> GetAsync(Guid clinic, string callId, CancellationToken ct = default) =>
        db.ReadDataAsync(clinic, async data =>
        {
            var call = (await data.Database.SqlQuery<CallRow>($"""
                select call_id, status, caller_phone, started_at, ended_at, ended_reason, duration_seconds, summary, transcript,
                       structured_data::text as structured_data
                  from calls where call_id = {callId}
                """).ToListAsync(ct)).SingleOrDefault();
            var appointments = await data.Database.SqlQuery<Guid>($"""
                select distinct (result::jsonb ->> 'appointment_id')::uuid as "Value" from tool_calls
                 where call_id = {callId} and outcome in ('booked', 'rescheduled')
                """).ToListAsync(ct);
            return (call, (IReadOnlyList<Guid>)appointments);
        }, ct);
}
