using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Calls;

public sealed record CallRow(string CallId, string Status, string? CallerPhone, DateTime? StartedAt, DateTime? EndedAt, string? EndedReason,
    decimal? DurationSeconds, string? Summary, string? Transcript, string? StructuredData);

/// <summary>A call and the appointments booked or moved during it (found through its tool calls, which carry the call id).</summary>
public sealed class CallStore(ClinicDb db)
{
    public async Task<(CallRow? Call, IReadOnlyList<Guid> Appointments)> GetAsync(Guid clinic, string callId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var grid = await conn.QueryForClinicAsync("""
            select call_id as CallId, status, caller_phone as CallerPhone, started_at as StartedAt, ended_at as EndedAt, ended_reason as EndedReason,
                   duration_seconds as DurationSeconds, summary, transcript, structured_data::text as StructuredData
              from calls where call_id = @callId;
            select distinct (result::jsonb ->> 'appointment_id')::uuid from tool_calls
             where call_id = @callId and outcome in ('booked', 'rescheduled');
            """, new { clinic, callId });
        return (await grid.ReadSingleOrDefaultAsync<CallRow>(), (await grid.ReadAsync<Guid>()).ToList());
    }
}
