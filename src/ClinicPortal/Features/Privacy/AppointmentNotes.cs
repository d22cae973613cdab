using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Privacy;

/// <summary>
/// Staff reading a patient's note: opened only for the staff member's own clinic, and audited every time. Notes are
/// sealed under the patient's data key (DataKeys); older ones under the notes key itself (NoteProtector). A note whose
/// patient was erased reads as null.
/// </summary>
public sealed class AppointmentNotes(ClinicDb db, NoteProtector protector, DataKeys keys)
{
    /// <summary>The note, or null when the appointment has none (or is not this clinic's, or its patient was erased).</summary>
    public async Task<string?> ReadAsync(Guid clinic, Guid appointment, string actor, CancellationToken ct = default)
    {
        return await db.WriteAsync(clinic, async (conn, tx) =>
        {
            var blob = await conn.Command("select notes_ciphertext from appointments where id = @id", tx).With("id", appointment)
                .FirstOrDefaultAsync(r => r.Value<byte[]>(0), ct);
            if (blob is null) return null;
            var note = await OpenAsync(conn, tx, protector, keys, blob, clinic, appointment, ct);
            await conn.Command("select audit(@actor, 'appointment.notes_read', 'appointment', @id::text, '{}')", tx)
                .With("actor", actor).With("id", appointment).RunAsync(ct);
            return note;
        }, ct);
    }

    /// <summary>A stored note opened: under the patient's data key (null once erased), or an older one under the notes key.</summary>
    public static async Task<string?> OpenAsync(Npgsql.NpgsqlConnection conn, Npgsql.NpgsqlTransaction tx, NoteProtector protector, DataKeys keys,
        byte[] blob, Guid clinic, Guid appointment, CancellationToken ct = default) =>
        DataKeys.IsSealed(blob) ? await keys.OpenAsync(conn, tx, blob, clinic, appointment.ToString(), ct) : protector.Unprotect(blob, clinic, appointment);
}
