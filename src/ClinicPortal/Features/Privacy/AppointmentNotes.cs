using ClinicPortal.Infrastructure.Database;
using Dapper;

namespace ClinicPortal.Features.Privacy;

/// <summary>Staff reading a patient's note: decrypted only for the staff member's own clinic, and audited every time.</summary>
public sealed class AppointmentNotes(ClinicDb db, NoteProtector protector)
{
    /// <summary>The note, or null when the appointment has none (or is not this clinic's).</summary>
    public async Task<string?> ReadAsync(Guid clinic, Guid appointment, string actor, CancellationToken ct = default)
    {
        return await db.WriteAsync(clinic, async (conn, tx) =>
        {
            var blob = await conn.ExecuteScalarAsync<byte[]?>(
                "select notes_ciphertext from appointments where clinic_id = @clinic and id = @appointment", new { clinic, appointment }, tx);
            if (blob is null) return null;
            var note = protector.Unprotect(blob, clinic, appointment);
            await conn.ExecuteAsync("select audit(@actor, 'appointment.notes_read', 'appointment', @appointment::text, '{}')", new { actor, appointment }, tx);
            return note;
        }, ct);
    }
}
