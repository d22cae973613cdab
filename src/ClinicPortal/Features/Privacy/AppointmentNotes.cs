using ClinicPortal.Infrastructure.Database;
using Microsoft.EntityFrameworkCore;

namespace ClinicPortal.Features.Privacy;

/// <summary>Staff reading a patient's note: decrypted only for the staff member's own clinic, and audited every time.</summary>
public sealed class AppointmentNotes(ClinicDb db, NoteProtector protector)
{
    /// <summary>The note, or null when the appointment has none (or is not this clinic's).</summary>
    public async Task<string?> ReadAsync(Guid clinic, Guid appointment, string actor, CancellationToken ct = default)
    {
        return await db.WriteDataAsync(clinic, async data =>
        {
            var blob = await data.Appointments.Where(a => a.Id == appointment).Select(a => a.NotesCiphertext).SingleOrDefaultAsync(ct);
            if (blob is null) return null;
            var note = protector.Unprotect(blob, clinic, appointment);
            await data.AuditAsync(actor, "appointment.notes_read", "appointment", appointment.ToString(), new { }, ct);
            return note;
        }, ct);
    }
}
