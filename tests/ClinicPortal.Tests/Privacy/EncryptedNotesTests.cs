using System.Security.Cryptography;
using ClinicPortal.Features.Privacy;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Privacy;

[Collection(PortalCollection.Name)]
public sealed class EncryptedNotesTests(ClinicPortalFactory portal)
{
    private AppointmentNotes Notes => portal.Services.GetRequiredService<AppointmentNotes>();

    private static async Task<Guid> BookWithNotesAsync(TestClinic clinic, string notes, string time = "10:00")
    {
        var r = await clinic.CallToolAsync("book_appointment", new
        {
            provider = "dr-a", date = Dates.Upcoming(DayOfWeek.Monday), time, patient_name = "Noted Patient", patient_phone = "+447700100321", notes,
        });
        Assert.True(r.GetProperty("notes_saved").GetBoolean());
        return r.GetProperty("appointment_id").GetGuid();
    }

    [Fact]
    public async Task A_note_is_stored_encrypted_and_redacted_and_reading_it_is_audited()
    {
        var clinic = await portal.CreateClinicAsync();
        var id = await BookWithNotesAsync(clinic, "Allergic to lidocaine; call my sister on 07700 100999");

        await using (var su = portal.Superuser())
        {
            var stored = (await su.ScalarAsync<byte[]>("select notes_ciphertext from appointments where id = @id", new { id }))!;
            Assert.DoesNotContain("lidocaine", System.Text.Encoding.UTF8.GetString(stored), StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("lidocaine", System.Text.Encoding.Latin1.GetString(stored), StringComparison.OrdinalIgnoreCase);
        }
        var note = await Notes.ReadAsync(clinic.Id, id, "staff:nurse@example.com");

        Assert.Equal("Allergic to lidocaine; call my sister on [REDACTED_PHONE]", note);
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'appointment.notes_read' and actor = 'staff:nurse@example.com'"));
    }

    [Fact]
    public async Task Another_clinic_cannot_read_a_note()
    {
        var clinic = await portal.CreateClinicAsync();
        var other = await portal.CreateClinicAsync();
        var id = await BookWithNotesAsync(clinic, "Private history");

        Assert.Null(await Notes.ReadAsync(other.Id, id, "staff:intruder@example.com"));
        Assert.Equal(0, await other.CountAsync("audit_log", "action = 'appointment.notes_read'"));
    }

    [Fact]
    public async Task A_tampered_note_or_one_copied_to_another_appointment_does_not_decrypt()
    {
        var clinic = await portal.CreateClinicAsync();
        var first = await BookWithNotesAsync(clinic, "First note");
        var second = await BookWithNotesAsync(clinic, "Second note", "11:00");
        await using var su = portal.Superuser();

        await su.ExecAsync("""
            update appointments set notes_ciphertext = (select notes_ciphertext from appointments where id = @first) where id = @second;
            update appointments set notes_ciphertext = set_byte(notes_ciphertext, length(notes_ciphertext) - 1,
                                                                get_byte(notes_ciphertext, length(notes_ciphertext) - 1) # 1) where id = @first;
            """, new { first, second });

        await Assert.ThrowsAnyAsync<CryptographicException>(() => Notes.ReadAsync(clinic.Id, first, "staff:nurse@example.com"));
        await Assert.ThrowsAnyAsync<CryptographicException>(() => Notes.ReadAsync(clinic.Id, second, "staff:nurse@example.com"));
    }

    [Fact]
    public void After_a_key_rotation_old_notes_still_open_and_new_ones_use_the_new_key()
    {
        var (oldKey, newKey) = (NoteProtector.NewKey(), NoteProtector.NewKey());
        var before = Protector("k1", ("k1", oldKey));
        var after = Protector("k2", ("k1", oldKey), ("k2", newKey));
        var (clinic, appointment) = (Guid.NewGuid(), Guid.NewGuid());

        var old = before.Protect("kept across rotation", clinic, appointment);
        var fresh = after.Protect("written after", clinic, appointment);

        Assert.Equal("kept across rotation", after.Unprotect(old, clinic, appointment));
        Assert.Equal("k2", System.Text.Encoding.ASCII.GetString(fresh, 2, fresh[1]));
        Assert.Throws<CryptographicException>(() => before.Unprotect(fresh, clinic, appointment));
    }

    private static NoteProtector Protector(string current, params (string Id, string Key)[] keys)
    {
        var values = keys.ToDictionary(k => $"Notes:Keys:{k.Id}", k => (string?)k.Key);
        values["Notes:CurrentKey"] = current;
        return new NoteProtector(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
    }
}
