using System.Net;
using System.Text;
using System.Text.Json;
using ClinicPortal.Features.Calls;
using ClinicPortal.Features.Privacy;
using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Patients;

/// <summary>
/// A subject-access export (GDPR Articles 15 and 20): everything the clinic holds about one patient, as JSON with the
/// schema "clinicportal.subject-access/1" (docs/privacy.md) or as a readable HTML page. Notes, summaries and transcripts
/// are opened from their seal; text bodies have their confirmation link masked (the link is a credential, not data about
/// the patient). Building it is audited (patient.exported) with the format and the actor.
/// </summary>
public static class SubjectAccess
{
    public const string Schema = "clinicportal.subject-access/1";

    public sealed record Export(string Schema, DateTime GeneratedAt, ExportClinic Clinic, ExportPatient Patient,
        IReadOnlyList<ExportAppointment> Appointments, IReadOnlyList<ExportCall> Calls, IReadOnlyList<ExportText> Texts, ExportOptOut OptOut,
        IReadOnlyList<ExportAudit> Audit);

    public sealed record ExportClinic(string Slug, string Name);
    public sealed record ExportPatient(Guid Id, string Name, string? Phone, string? Email, DateTime CreatedAt, DateTime? ErasedAt);
    public sealed record ExportAppointment(Guid Id, DateTime StartsAt, DateTime EndsAt, string Provider, string? Procedure, string Status, string Source,
        string ConfirmationCode, string? Notes, DateTime CreatedAt);
    public sealed record ExportCall(string CallId, string Status, string? CallerPhone, DateTime? StartedAt, DateTime? EndedAt, decimal? DurationSeconds,
        string? EndedReason, string? Summary, string? Transcript, JsonElement? StructuredData);
    public sealed record ExportText(Guid Id, string Kind, string? To, string Body, string Status, DateTime CreatedAt, DateTime? SentAt);
    public sealed record ExportOptOut(bool OptedOut, DateTime? Since, string? Reason);
    public sealed record ExportAudit(long Id, DateTime OccurredAt, string Actor, string Action, string SubjectType, string SubjectId, JsonElement Detail);

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The export of one patient of the transaction's clinic, or null when there is no such patient. Audited.</summary>
    public static async Task<Export?> BuildAsync(NpgsqlConnection conn, NpgsqlTransaction tx, DataKeys keys, NoteProtector notes, Guid clinic,
        Guid patient, string format, string actor, CancellationToken ct = default)
    {
        var clinicRow = await conn.Command("select slug, name from clinics where id = @clinic", tx).With("clinic", clinic)
            .FirstOrDefaultAsync(r => new ExportClinic(r.GetString(0), r.GetString(1)), ct);
        var p = await conn.Command("select id, name, phone, email, created_at, erased_at from patients where id = @patient", tx).With("patient", patient)
            .FirstOrDefaultAsync(r => new ExportPatient(r.GetGuid(0), r.GetString(1), r.Value<string>(2), r.Value<string>(3), r.GetDateTime(4),
                r.Value<DateTime?>(5)), ct);
        if (p is null || clinicRow is null) return null;

        var appointments = new List<ExportAppointment>();
        var rows = await conn.Command("""
            select a.id, a.starts_at, a.ends_at, pv.name, pr.name, a.status::text, a.source::text, a.confirmation_code, a.notes_ciphertext, a.created_at
              from appointments a join providers pv on pv.clinic_id = a.clinic_id and pv.id = a.provider_id
              left join procedures pr on pr.clinic_id = a.clinic_id and pr.id = a.procedure_id
             where a.patient_id = @patient order by a.starts_at
            """, tx).With("patient", patient).ListAsync(r => (Row: new ExportAppointment(r.GetGuid(0), r.GetDateTime(1), r.GetDateTime(2), r.GetString(3),
                r.Value<string>(4), r.GetString(5), r.GetString(6), r.GetString(7), null, r.GetDateTime(9)), Notes: r.Value<byte[]>(8)), ct);
        foreach (var (row, blob) in rows)
            appointments.Add(blob is null ? row : row with { Notes = await AppointmentNotes.OpenAsync(conn, tx, notes, keys, blob, clinic, row.Id, ct) });

        var calls = new List<ExportCall>();
        var callRows = await conn.Command("""
            select call_id, status, caller_phone, started_at, ended_at, duration_seconds, ended_reason, summary, transcript, structured_data::text,
                   summary_sealed, transcript_sealed, structured_sealed
              from calls where call_id in (select patient_calls(@patient)) order by coalesce(started_at, ended_at, updated_at)
            """, tx).With("patient", patient).ListAsync(r => (Call: new ExportCall(r.GetString(0), r.GetString(1), r.Value<string>(2),
                r.Value<DateTime?>(3), r.Value<DateTime?>(4), r.Value<decimal?>(5), r.Value<string>(6), r.Value<string>(7), r.Value<string>(8), null),
                Structured: r.Value<string>(9), Sealed: (S: r.Value<byte[]>(10), T: r.Value<byte[]>(11), D: r.Value<byte[]>(12))), ct);
        foreach (var (call, structured, s) in callRows)
        {
            var data = s.D is null ? structured : await keys.OpenAsync(conn, tx, s.D, clinic, CallStore.StructuredRecord(call.CallId), ct);
            calls.Add(call with
            {
                Summary = s.S is null ? call.Summary : await keys.OpenAsync(conn, tx, s.S, clinic, CallStore.SummaryRecord(call.CallId), ct),
                Transcript = s.T is null ? call.Transcript : await keys.OpenAsync(conn, tx, s.T, clinic, CallStore.TranscriptRecord(call.CallId), ct),
                StructuredData = data is null ? null : JsonDocument.Parse(data).RootElement.Clone(),
            });
        }

        var textRows = await conn.Command("""
            select id, kind, to_phone, body, status, created_at, sent_at, body_sealed from sms_messages
             where to_phone = @phone or appointment_id in (select id from appointments where patient_id = @patient)
                or call_id in (select patient_calls(@patient))
             order by created_at
            """, tx).With("patient", patient).With("phone", p.Phone).ListAsync(r => (Text: new ExportText(r.GetGuid(0), r.GetString(1),
                r.Value<string>(2), r.GetString(3), r.GetString(4), r.GetDateTime(5), r.Value<DateTime?>(6)), Sealed: r.Value<byte[]>(7)), ct);
        var texts = new List<ExportText>();
        foreach (var (text, sealedBody) in textRows)
            texts.Add(text with { Body = (await Messages.TextBodies.OpenAsync(conn, tx, keys, clinic, text.Id, text.Body, sealedBody, ct))
                .Replace(Messages.LinkTokens.Placeholder, Messages.LinkTokens.Mask) });
        var optOut = await conn.Command("select opted_out_at, reason from sms_opt_outs where phone = @phone", tx).With("phone", p.Phone)
            .FirstOrDefaultAsync(r => new ExportOptOut(true, r.GetDateTime(0), r.GetString(1)), ct) ?? new ExportOptOut(false, null, null);

        var audit = await conn.Command("""
            select id, occurred_at, actor, action, subject_type, subject_id, detail::text from audit_log
             where (subject_type = 'patient' and subject_id = @patient::text)
                or (subject_type = 'appointment' and subject_id in (select id::text from appointments where patient_id = @patient))
                or (subject_type = 'call' and subject_id in (select patient_calls(@patient)))
                or (subject_type = 'sms_message' and subject_id in (select id::text from sms_messages where to_phone = @phone))
                or (subject_type = 'phone' and @phone is not null and subject_id = '…' || right(@phone, 4))
             order by id
            """, tx).With("patient", patient).With("phone", p.Phone).ListAsync(r => new ExportAudit(r.GetInt64(0), r.GetDateTime(1), r.GetString(2),
                r.GetString(3), r.GetString(4), r.GetString(5), JsonDocument.Parse(r.GetString(6)).RootElement.Clone()), ct);

        await conn.Command("select audit(@actor, 'patient.exported', 'patient', @patient::text, jsonb_build_object('format', @format))", tx)
            .With("actor", actor).With("patient", patient).With("format", format).RunAsync(ct);
        return new Export(Schema, DateTime.UtcNow, clinicRow, p, appointments, calls, texts, optOut, audit);
    }

    public static string ToJson(Export export) => JsonSerializer.Serialize(export, Json);

    /// <summary>The same export as one self-contained, readable HTML page.</summary>
    public static string ToHtml(Export e)
    {
        static string H(object? v) => WebUtility.HtmlEncode((v switch
        {
            null => "—",
            DateTime t => t.ToString("yyyy-MM-dd HH:mm 'UTC'"),
            JsonElement j => j.GetRawText(),
            _ => v.ToString(),
        }) ?? "");
        var html = new StringBuilder();
        html.Append($$"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Your data at {{H(e.Clinic.Name)}}</title>
            <style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
            table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
            th{background:#f3f3f3}pre{white-space:pre-wrap;margin:0}</style></head><body>
            <h1>The data {{H(e.Clinic.Name)}} holds about {{H(e.Patient.Name)}}</h1>
            <p>Produced {{H(e.GeneratedAt)}} under UK GDPR Articles 15 and 20. The same data, machine-readable: the JSON export (schema {{H(e.Schema)}}).</p>
            <h2>You</h2><table><tr><th>Name</th><td>{{H(e.Patient.Name)}}</td></tr><tr><th>Phone</th><td>{{H(e.Patient.Phone)}}</td></tr>
            <tr><th>Email</th><td>{{H(e.Patient.Email)}}</td></tr><tr><th>Record created</th><td>{{H(e.Patient.CreatedAt)}}</td></tr>
            <tr><th>Texts</th><td>{{(e.OptOut.OptedOut ? "You asked us not to text you (" + H(e.OptOut.Since) + ")" : "You may receive texts about your appointments")}}</td></tr></table>
            """);
        html.Append($"<h2>Appointments ({e.Appointments.Count})</h2><table><tr><th>When</th><th>With</th><th>Procedure</th><th>Status</th><th>Code</th><th>Notes</th></tr>");
        foreach (var a in e.Appointments)
            html.Append($"<tr><td>{H(a.StartsAt)}</td><td>{H(a.Provider)}</td><td>{H(a.Procedure)}</td><td>{H(a.Status)}</td><td>{H(a.ConfirmationCode)}</td><td>{H(a.Notes)}</td></tr>");
        html.Append($"</table><h2>Calls ({e.Calls.Count})</h2><table><tr><th>Call</th><th>When</th><th>Summary</th><th>Transcript</th></tr>");
        foreach (var c in e.Calls)
            html.Append($"<tr><td>{H(c.CallId)}<br>{H(c.Status)}</td><td>{H(c.StartedAt ?? c.EndedAt)}</td><td>{H(c.Summary)}</td><td><pre>{H(c.Transcript)}</pre></td></tr>");
        html.Append($"</table><h2>Texts ({e.Texts.Count})</h2><table><tr><th>When</th><th>To</th><th>Message</th><th>Status</th></tr>");
        foreach (var t in e.Texts)
            html.Append($"<tr><td>{H(t.CreatedAt)}</td><td>{H(t.To)}</td><td>{H(t.Body)}</td><td>{H(t.Status)}</td></tr>");
        html.Append($"</table><h2>Audit trail about you ({e.Audit.Count})</h2><table><tr><th>When</th><th>Who</th><th>What</th><th>Detail</th></tr>");
        foreach (var a in e.Audit)
            html.Append($"<tr><td>{H(a.OccurredAt)}</td><td>{H(a.Actor)}</td><td>{H(a.Action)}</td><td>{H(a.Detail)}</td></tr>");
        html.Append("</table></body></html>");
        return html.ToString();
    }
}
