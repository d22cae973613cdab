using ClinicPortal.Shared;
using ClinicPortal.Features.Booking;
using ClinicPortal.Features.Procedures;
using Dapper;
using Npgsql;

namespace ClinicPortal.Features.Messages;

/// <summary>
/// The hand-off: when a call's end-of-call report arrives and nothing was booked or moved during the
/// call, queue a text to the caller about the procedure they asked about (the last one the agent looked
/// up, else the report's structuredData.procedure), or a general one with the clinic's number. Runs in
/// the report's transaction, so the message exists exactly when the call's end does (outbox).
/// </summary>
public sealed class FollowUps(SmsTexts texts)
{
    private sealed class CallFacts
    {
        public string? CallerPhone { get; init; }
        public bool Booked { get; init; }
        public Guid? LookedUpId { get; init; }
        public string? LookedUpName { get; init; }
        public string? Mentioned { get; init; }
        public string Slug { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Phone { get; init; }
        public string Country { get; init; } = "";
    }

    /// <summary>Queues the follow-up if one is due; returns its id, or null with nothing written.</summary>
    public async Task<Guid?> QueueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinic, string callId)
    {
        var facts = await conn.QuerySingleOrDefaultAsync<CallFacts>("""
            select c.caller_phone as CallerPhone,
                   exists (select 1 from tool_calls t where t.clinic_id = @clinic and t.call_id = @callId
                              and t.tool_name in ('book_appointment', 'reschedule_appointment') and t.outcome in ('booked', 'rescheduled')) as Booked,
                   l.id as LookedUpId, l.name as LookedUpName,
                   c.structured_data ->> 'procedure' as Mentioned,
                   k.slug, k.name, k.phone, k.country
              from calls c
              join clinics k on k.id = c.clinic_id
              left join lateral (
                   select p.id, p.name from tool_calls t
                     join procedures p on p.clinic_id = t.clinic_id and p.name = t.result::jsonb -> 'procedure' ->> 'name' and p.active
                    where t.clinic_id = @clinic and t.call_id = @callId and t.tool_name = 'lookup_procedure' and t.outcome = 'ok'
                    order by t.created_at desc limit 1) l on true
             where c.clinic_id = @clinic and c.call_id = @callId
            """, new { clinic, callId }, tx);
        if (facts is null || facts.Booked || facts.CallerPhone is null) return null;
        if (Phone.Textable(facts.CallerPhone, facts.Country) is not { } to) return null; // withheld, invalid or a landline

        var procedure = facts.LookedUpId is { } id ? new ProcedureMention(id, facts.LookedUpName!)
            : facts.Mentioned is { Length: > 0 } mentioned && await ProcedureCatalog.FindAsync(conn, tx, clinic, mentioned) is { } found
                ? new ProcedureMention(found.Id, found.Name) : null;
        var body = texts.FollowUp(new PublicClinic(clinic, facts.Slug, facts.Name, facts.Phone), procedure);
        return await conn.ExecuteScalarAsync<Guid?>("select queue_sms('follow_up', @key, @to, @body, @callId, null, 'vapi')",
            new { key = "follow_up:" + callId, to, body, callId }, tx);
    }
}
