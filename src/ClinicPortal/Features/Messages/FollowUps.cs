using ClinicPortal.Shared;
using ClinicPortal.Features.Booking;
using ClinicPortal.Features.Procedures;
using ClinicPortal.Infrastructure.Database;
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
    private sealed record CallFacts(string? CallerPhone, bool Booked, Guid? LookedUpId, string? LookedUpName, string? Mentioned,
        string Slug, string Name, string? Phone, string Country, bool AnyCountry);

    /// <summary>
    /// Queues the follow-up if one is due; returns its id, or null with nothing written. mentioned: the report's
    /// structuredData.procedure (the stored copy is sealed).
    /// </summary>
    public async Task<Guid?> QueueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinic, string callId, string? mentioned = null)
    {
        var facts = await conn.Command("""
            select c.caller_phone,
                   exists (select 1 from tool_calls t where t.clinic_id = @clinic and t.call_id = @callId
                              and t.tool_name in ('book_appointment', 'reschedule_appointment') and t.outcome in ('booked', 'rescheduled')),
                   l.id, l.name, coalesce(@mentioned, c.structured_data ->> 'procedure'),
                   k.slug, k.name, k.phone, k.country, k.sms_any_country
              from calls c
              join clinics k on k.id = c.clinic_id
              left join lateral (
                   select p.id, p.name from tool_calls t
                     join procedures p on p.clinic_id = t.clinic_id and p.name = t.result::jsonb -> 'procedure' ->> 'name' and p.active
                    where t.clinic_id = @clinic and t.call_id = @callId and t.tool_name = 'lookup_procedure' and t.outcome = 'ok'
                    order by t.created_at desc limit 1) l on true
             where c.clinic_id = @clinic and c.call_id = @callId
            """, tx).With("clinic", clinic).With("callId", callId).With("mentioned", mentioned).FirstOrDefaultAsync(r => new CallFacts(r.Value<string>(0), r.GetBoolean(1),
                r.Value<Guid?>(2), r.Value<string>(3), r.Value<string>(4), r.GetString(5), r.GetString(6), r.Value<string>(7), r.GetString(8), r.GetBoolean(9)));
        if (facts is null || facts.Booked || facts.CallerPhone is null) return null;
        if (Phone.Textable(facts.CallerPhone, facts.Country, facts.AnyCountry) is not { } to) return null; // withheld, invalid, a landline or abroad

        var procedure = facts.LookedUpId is { } id ? new ProcedureMention(id, facts.LookedUpName!)
            : facts.Mentioned is { Length: > 0 } named && await ProcedureCatalog.FindAsync(conn, tx, clinic, named) is { } found
                ? new ProcedureMention(found.Id, found.Name) : null;
        var body = texts.FollowUp(new PublicClinic(clinic, facts.Slug, facts.Name, facts.Phone), procedure);
        return await conn.Command("select queue_sms('follow_up', @key, @to, @body, @callId, null, 'vapi')", tx)
            .With("key", "follow_up:" + callId).With("to", to).With("body", body).With("callId", callId).ScalarAsync<Guid?>();
    }
}
