using ClinicPortal.Infrastructure.Database;
using ClinicPortal.Shared;
using Npgsql;

namespace ClinicPortal.Features.Patients;

public sealed record PatientSummary(Guid Id, string Name, string? Phone, string? Email, DateTime CreatedAt, int Appointments, DateTime? Next,
    DateTime? ErasedAt);

public sealed record PatientAppointment(Guid Id, DateTime StartsAt, DateTime EndsAt, string Provider, string? Procedure, string Status, string Source,
    string Code, bool HasNotes);

public sealed record PatientCall(string CallId, string Status, DateTime? StartedAt, DateTime? EndedAt, decimal? DurationSeconds, string? EndedReason,
    bool HasRecord);

public sealed record PatientText(Guid Id, string Kind, string Status, string Body, DateTime CreatedAt, DateTime? SentAt);

public sealed record PatientDetail(PatientSummary Patient, IReadOnlyList<PatientAppointment> Appointments, IReadOnlyList<PatientCall> Calls,
    IReadOnlyList<PatientText> Texts, DateTime? OptedOutAt);

/// <summary>
/// The Patients page's reads and changes, all under the staff member's clinic: search by name, phone or confirmation
/// code; one patient with their appointments, calls (a call's summary and transcript open on demand, audited), texts and
/// notes; edit name, email and phone (the phone validated again); merge two records of one person; erase one
/// (erase_patient). Changes are audited with the patient id and the names of the fields, never their values.
/// </summary>
public sealed class PatientRecords(ClinicDb db, Privacy.DataKeys keys)
{
    public Task<IReadOnlyList<PatientSummary>> SearchAsync(Guid clinic, string? text, CancellationToken ct = default) =>
        db.ReadAsync(clinic, async (conn, tx) =>
        {
            var query = text?.Trim() ?? "";
            var digits = new string(query.Where(char.IsAsciiDigit).ToArray());
            var rows = await conn.Command(SummarySql + """
                 where (@query = '' or p.name ilike '%' || @query || '%'
                        or (length(@digits) >= 4 and p.phone like '%' || @digits || '%')
                        or exists (select 1 from appointments a where a.patient_id = p.id and a.confirmation_code = upper(@query)))
                 order by p.erased_at is not null, lower(p.name) limit 50
                """, tx).With("query", query).With("digits", digits.TrimStart('0')).ListAsync(Summary, ct);
            return (IReadOnlyList<PatientSummary>)rows;
        }, ct);

    public Task<PatientDetail?> GetAsync(Guid clinic, Guid patient, CancellationToken ct = default) =>
        db.ReadAsync(clinic, async (conn, tx) =>
        {
            var summary = await conn.Command(SummarySql + " where p.id = @patient", tx).With("patient", patient).FirstOrDefaultAsync(Summary, ct);
            if (summary is null) return null;
            var appointments = await conn.Command("""
                select a.id, a.starts_at, a.ends_at, pv.name, pr.name, a.status::text, a.source::text, a.confirmation_code, a.notes_ciphertext is not null
                  from appointments a join providers pv on pv.clinic_id = a.clinic_id and pv.id = a.provider_id
                  left join procedures pr on pr.clinic_id = a.clinic_id and pr.id = a.procedure_id
                 where a.patient_id = @patient order by a.starts_at desc
                """, tx).With("patient", patient).ListAsync(r => new PatientAppointment(r.GetGuid(0), r.GetDateTime(1), r.GetDateTime(2), r.GetString(3),
                    r.Value<string>(4), r.GetString(5), r.GetString(6), r.GetString(7), r.GetBoolean(8)), ct);
            var calls = await conn.Command("""
                select call_id, status, started_at, ended_at, duration_seconds, ended_reason,
                       coalesce(transcript_sealed, summary_sealed) is not null or coalesce(transcript, summary) is not null
                  from calls where call_id in (select patient_calls(@patient)) order by coalesce(ended_at, started_at, updated_at) desc
                """, tx).With("patient", patient).ListAsync(r => new PatientCall(r.GetString(0), r.GetString(1),
                    r.Value<DateTime?>(2), r.Value<DateTime?>(3), r.Value<decimal?>(4), r.Value<string>(5), r.GetBoolean(6)), ct);
            var rows = await conn.Command("""
                select id, kind, status, body, created_at, sent_at, body_sealed from sms_messages
                 where to_phone = @phone or appointment_id in (select id from appointments where patient_id = @patient)
                 order by created_at desc
                """, tx).With("patient", patient).With("phone", summary.Phone).ListAsync(r => (Text: new PatientText(r.GetGuid(0), r.GetString(1),
                    r.GetString(2), r.GetString(3), r.GetDateTime(4), r.Value<DateTime?>(5)), Sealed: r.Value<byte[]>(6)), ct);
            var texts = new List<PatientText>();
            foreach (var (text, sealedBody) in rows)
                texts.Add(text with { Body = (await Messages.TextBodies.OpenAsync(conn, tx, keys, clinic, text.Id, text.Body, sealedBody, ct))
                    .Replace(Messages.LinkTokens.Placeholder, Messages.LinkTokens.Mask) });
            var optedOut = await conn.Command("select opted_out_at from sms_opt_outs where phone = @phone", tx).With("phone", summary.Phone)
                .FirstOrDefaultAsync(r => (DateTime?)r.GetDateTime(0), ct);
            return new PatientDetail(summary, appointments, calls, texts, optedOut);
        }, ct);

    /// <summary>Saves name, email and phone; a reason when they cannot be saved (nothing is written then).</summary>
    public async Task<string?> UpdateAsync(Guid clinic, Guid patient, string name, string? email, string phone, string actor, CancellationToken ct = default)
    {
        name = name.Trim();
        email = string.IsNullOrWhiteSpace(email) ? null : email.Trim();
        if (name.Length is 0 or > 200) return "the name must be 1 to 200 characters";
        if (email is not null && !System.Net.Mail.MailAddress.TryCreate(email, out _)) return $"'{email}' is not an email address";
        try
        {
            return await db.WriteAsync(clinic, async (conn, tx) =>
            {
                var country = await conn.Command("select country from clinics where id = @clinic", tx).With("clinic", clinic).ScalarAsync<string>() ?? "GB";
                var check = Phone.Check(phone, country);
                if (check is PhoneCheck.Invalid invalid) return invalid.Reason;
                var e164 = ((PhoneCheck.Valid)check).E164;
                var before = await conn.Command("select name, email, phone from patients where id = @patient and erased_at is null for update", tx)
                    .With("patient", patient).FirstOrDefaultAsync(r => (Name: r.GetString(0), Email: r.Value<string>(1), Phone: r.Value<string>(2)), ct);
                if (before.Name is null) return "there is no such patient (or they were erased)";
                string[] changed = [.. new[] { ("name", before.Name != name), ("email", before.Email != email), ("phone", before.Phone != e164) }
                    .Where(c => c.Item2).Select(c => c.Item1)];
                if (changed.Length == 0) return null;
                await conn.Command("update patients set name = @name, email = @email, phone = @phone where id = @patient", tx)
                    .With("name", name).With("email", email).With("phone", e164).With("patient", patient).RunAsync(ct);
                await conn.Command("select audit(@actor, 'patient.updated', 'patient', @patient::text, jsonb_build_object('changed', @changed))", tx)
                    .With("actor", actor).With("patient", patient).With("changed", changed).RunAsync(ct);
                return (string?)null;
            }, ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return "another patient has this phone number: merge the two records instead";
        }
    }

    /// <summary>
    /// Merges `duplicate` into `keep`: the appointments and data keys move over, the email is kept if `keep` has none, and
    /// the duplicate record is deleted. Audited with both ids. A reason when they cannot be merged.
    /// </summary>
    public Task<string?> MergeAsync(Guid clinic, Guid keep, Guid duplicate, string actor, CancellationToken ct = default) =>
        db.WriteAsync(clinic, async (conn, tx) =>
        {
            if (keep == duplicate) return "choose two different records";
            var found = await conn.Command("select id, email, phone from patients where id in (@keep, @duplicate) and erased_at is null order by id for update", tx)
                .With("keep", keep).With("duplicate", duplicate).ListAsync(r => (Id: r.GetGuid(0), Email: r.Value<string>(1), Phone: r.Value<string>(2)), ct);
            if (found.Count != 2) return "both records must exist and not be erased";
            var dup = found.Single(f => f.Id == duplicate);
            var moved = await conn.Command("""
                update appointments set patient_id = @keep, updated_at = now() where patient_id = @duplicate;
                """, tx).With("keep", keep).With("duplicate", duplicate).RunAsync(ct);
            // Keys move with what they sealed; so do the keys of calls from the duplicate's number.
            await conn.Command("""
                update data_keys set patient_id = @keep
                 where patient_id = @duplicate or id in (select data_key_id from calls where caller_phone = @phone and data_key_id is not null)
                """, tx).With("keep", keep).With("duplicate", duplicate).With("phone", dup.Phone).RunAsync(ct);
            await conn.Command("delete from patients where id = @duplicate", tx).With("duplicate", duplicate).RunAsync(ct);
            await conn.Command("update patients set email = coalesce(email, @email) where id = @keep", tx)
                .With("email", dup.Email).With("keep", keep).RunAsync(ct);
            await conn.Command("""
                select audit(@actor, 'patient.merged', 'patient', @keep::text, jsonb_build_object('merged', @duplicate::text, 'appointments_moved', @moved))
                """, tx).With("actor", actor).With("keep", keep).With("duplicate", duplicate).With("moved", moved).RunAsync(ct);
            return (string?)null;
        }, ct);

    /// <summary>Erases the patient (erase_patient): the counts, or null when there is no such patient or they are erased already.</summary>
    public Task<string?> EraseAsync(Guid clinic, Guid patient, string actor, CancellationToken ct = default) =>
        db.WriteAsync(clinic, (conn, tx) => EraseAsync(conn, tx, patient, actor, ct), ct);

    public static Task<string?> EraseAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid patient, string actor, CancellationToken ct = default) =>
        conn.Command("select erase_patient(@patient, @actor)::text", tx).With("patient", patient).With("actor", actor).FirstOrDefaultAsync(r => r.Value<string>(0), ct);

    private const string SummarySql = """
        select p.id, p.name, p.phone, p.email, p.created_at,
               (select count(*)::int from appointments a where a.patient_id = p.id),
               (select min(a.starts_at) from appointments a where a.patient_id = p.id and a.starts_at > now() and a.status in ('pending', 'confirmed')),
               p.erased_at
          from patients p
        """;

    private static PatientSummary Summary(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.Value<string>(2), r.Value<string>(3),
        r.GetDateTime(4), r.GetInt32(5), r.Value<DateTime?>(6), r.Value<DateTime?>(7));
}
