using ClinicPortal.Features.Privacy;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Patients;

/// <summary>
/// `./clinic patient export --clinic SLUG --phone NUMBER`: the subject-access JSON on standard output.
/// `./clinic patient erase --clinic SLUG --phone NUMBER --yes`: erases the patient (erase_patient) and prints the counts.
/// The number is read in the clinic's country. Exit 2 with a sentence when there is no such clinic or patient, or when
/// --yes is missing. Both are audited with the actor cli:&lt;OS user&gt;.
/// </summary>
public static class PatientCommands
{
    public const string Usage = "usage: patient export --clinic SLUG --phone NUMBER\n       patient erase --clinic SLUG --phone NUMBER --yes";

    public static async Task<int> RunAsync(string verb, string ownerConnection, IConfiguration config)
    {
        if (config["clinic"] is not { Length: > 0 } slug || config["phone"] is not { Length: > 0 } phone)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        if (verb == "erase" && !config.GetValue("yes", false))
        {
            Console.Error.WriteLine("Erasure cannot be undone: add --yes to erase this patient.");
            return 2;
        }
        var notes = NoteKeys.Protector(config);
        var keys = new DataKeys(notes);
        var actor = "cli:" + Environment.UserName;
        await using var clinic = await Infrastructure.CommandClinic.OpenAsync(ownerConnection, slug);
        if (clinic is null) return 2;
        var (conn, tx, clinicId) = (clinic.Conn, clinic.Tx, clinic.Id);
        var e164 = Shared.Phone.Normalize(phone, clinic.Country);
        var patient = e164 is null ? null : await conn.Command("select id from patients where phone = @phone", tx).With("phone", e164)
            .FirstOrDefaultAsync(r => (Guid?)r.GetGuid(0));
        if (patient is null)
        {
            Console.Error.WriteLine(e164 is null ? $"'{phone}' is not a phone number in {clinic.Country}." : $"{slug} has no patient with the number {e164}.");
            return 2;
        }
        if (verb == "export")
        {
            var export = await SubjectAccess.BuildAsync(conn, tx, keys, notes, clinicId, patient.Value, "json", actor);
            await clinic.CommitAsync();
            Console.Out.WriteLine(SubjectAccess.ToJson(export!));
            return 0;
        }
        var counts = await PatientRecords.EraseAsync(conn, tx, patient.Value, actor);
        await clinic.CommitAsync();
        Console.WriteLine($"Patient {patient} of {slug} is erased: {counts}. Their appointments stay, anonymous, for the clinic's figures.");
        return 0;
    }
}
