using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClinicPortal.Features.Audit;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Patients;

/// <summary>
/// A patient's rights over what the clinic holds (GDPR Articles 15, 17 and 20): the subject-access export, as JSON and
/// HTML from an admin and from the command line, and erasure by crypto-shredding, proven on a full pg_dumpall.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class SubjectRightsTests(ClinicPortalFactory portal)
{
    /// <summary>A patient who booked with a note during a call, called again without booking, and got texts.</summary>
    private sealed record Story(TestClinic Clinic, string Name, string Phone, string Email, Guid PatientId, Guid AppointmentId, string BookingCall,
        string OtherCall);

    private async Task<Story> PatientWithHistoryAsync()
    {
        var clinic = await portal.CreateClinicAsync();
        var suffix = new string(Guid.NewGuid().ToString("N").Where(char.IsAsciiLetter).Take(6).ToArray()).PadRight(6, 'q');
        var name = "Zephyrine Qu" + suffix;
        var phone = Phones.Unique();
        var email = $"zq.{suffix}@example.org";
        var (bookingCall, otherCall) = ("erase-call-" + suffix, "erase-other-" + suffix);
        var date = Dates.Upcoming(DayOfWeek.Thursday);

        await clinic.SendMessageAsync(new { type = "status-update", status = "in-progress", call = new { id = bookingCall, customer = new { number = phone } } });
        await clinic.BookAsync("dr-a", date, "11:00", phone: "+447700100001"); // someone else has 11:00: our patient's try collides
        var lost = await clinic.CallToolAsync("book_appointment", new { provider = "dr-a", date, time = "11:00", patient_name = name, patient_phone = phone },
            callId: bookingCall);
        Assert.Equal("conflict", lost.GetProperty("status").GetString());
        var booked = await clinic.CallToolAsync("book_appointment", new
        {
            provider = "dr-a", date, time = "14:00", patient_name = name, patient_phone = phone,
            notes = $"Allergic to penicillin. Reach {name} on {phone} or {email}.",
        }, callId: bookingCall);
        Assert.Equal("booked", booked.GetProperty("status").GetString());
        await clinic.SendMessageAsync(new
        {
            type = "end-of-call-report", endedReason = "customer-ended-call", call = new { id = bookingCall, customer = new { number = phone } },
            transcript = $"AI: Riverside, how can I help? User: My name is {name}, I'd like lip filler. My email is {email}. " +
                         $"Call me on {phone} or {phone[3..].Insert(4, " ")}. AI: Booked for Thursday at 14:00.",
            analysis = new { summary = $"{name} booked lip filler.", structuredData = new { procedure = "lip filler", name } },
        });
        await clinic.EndCallAsync(otherCall, phone); // asked about prices, no booking: a follow-up text is queued
        // Both texts go to (fake) Twilio; once done with, their bodies are sealed under the patient's key.
        await clinic.Factory.Twilio.WaitForAsync(phone, count: 2);
        var sealedTexts = $"to_phone = '{phone}' and body_sealed is not null and body = '[sealed]' and data_key_id is not null";
        for (var i = 0; i < 100 && await clinic.CountAsync("sms_messages", sealedTexts) < 2; i++) await Task.Delay(100);
        Assert.Equal(2, await clinic.CountAsync("sms_messages", sealedTexts));
        var patientId = await ScalarAsync<Guid>("select id from patients where clinic_id = @Id and phone = @phone", new { clinic.Id, phone });
        return new Story(clinic, name, phone, email, patientId, booked.GetProperty("appointment_id").GetGuid(), bookingCall, otherCall);
    }

    [Fact]
    public async Task An_admin_exports_everything_held_about_a_patient_as_json_and_html_and_the_export_is_audited()
    {
        var s = await PatientWithHistoryAsync();
        using var admin = StaffSession.Open(portal);
        await admin.SignInAsync(await StaffSession.NewAccountAsync(portal, s.Clinic, "admin"));

        var response = await admin.Client.GetAsync($"/api/patients/{s.PatientId}/export");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var export = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("clinicportal.subject-access/1", export.GetProperty("schema").GetString());
        Assert.Equal(s.Name, export.GetProperty("patient").GetProperty("name").GetString());
        Assert.Equal(s.Phone, export.GetProperty("patient").GetProperty("phone").GetString());
        var appointment = export.GetProperty("appointments").EnumerateArray().Single();
        Assert.StartsWith("Allergic to penicillin.", appointment.GetProperty("notes").GetString()); // opened from its seal
        var calls = export.GetProperty("calls").EnumerateArray().ToList();
        Assert.Equal(2, calls.Count);
        Assert.Contains(calls, c => c.GetProperty("transcript").GetString()!.Contains("I'd like lip filler"));
        Assert.Contains(calls, c => c.GetProperty("summary").GetString() == "Caller asked about prices and did not book.");
        var texts = export.GetProperty("texts").EnumerateArray().ToList();
        Assert.True(texts.Select(t => t.GetProperty("kind").GetString()).Order().SequenceEqual(["confirmation", "follow_up"]), export.GetProperty("texts").ToString());
        Assert.All(texts, t => Assert.False(string.IsNullOrEmpty(t.GetProperty("body").GetString())));
        Assert.False(export.GetProperty("opt_out").GetProperty("opted_out").GetBoolean());
        Assert.Contains(export.GetProperty("audit").EnumerateArray(), a => a.GetProperty("action").GetString() == "appointment.booked");

        var html = await admin.Client.GetAsync($"/api/patients/{s.PatientId}/export.html");
        Assert.Equal("text/html", html.Content.Headers.ContentType!.MediaType);
        var page = await html.Content.ReadAsStringAsync();
        Assert.Contains($"holds about {s.Name}", page);
        Assert.Contains("Allergic to penicillin.", page);
        Assert.Equal(2, await s.Clinic.CountAsync("audit_log", $"action = 'patient.exported' and subject_id = '{s.PatientId}'"));

        using var staff = StaffSession.Open(portal);
        await staff.SignInAsync(await StaffSession.NewAccountAsync(portal, s.Clinic, "staff"));
        Assert.Equal(HttpStatusCode.Forbidden, (await staff.Client.GetAsync($"/api/patients/{s.PatientId}/export")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.Client.GetAsync($"/api/patients/{Guid.NewGuid()}/export")).StatusCode);
    }

    [Fact]
    public async Task The_command_line_writes_the_same_json_and_says_clearly_when_there_is_no_such_patient()
    {
        var s = await PatientWithHistoryAsync();

        var export = await PortalProcess.CommandAsync(portal.Database, "patient", "export", "--clinic", s.Clinic.Slug, "--phone", s.Phone);
        Assert.True(export.ExitCode == 0, export.Stderr);
        var json = JsonDocument.Parse(export.Stdout).RootElement; // standard output is the JSON alone
        Assert.Equal(s.Name, json.GetProperty("patient").GetProperty("name").GetString());
        Assert.Equal(2, json.GetProperty("calls").GetArrayLength());

        var national = "0" + s.Phone[3..]; // the number as a UK caller writes it
        Assert.Equal(0, (await PortalProcess.CommandAsync(portal.Database, "patient", "export", "--clinic", s.Clinic.Slug, "--phone", national)).ExitCode);
        var missing = await PortalProcess.CommandAsync(portal.Database, "patient", "export", "--clinic", s.Clinic.Slug, "--phone", "+447700100999");
        Assert.Equal(2, missing.ExitCode);
        Assert.True(missing.Stderr.Contains("has no patient with the number +447700100999"), missing.Stderr);
        Assert.Equal("", missing.Stdout);
    }

    [Fact]
    public async Task After_erasure_a_full_pg_dumpall_holds_none_of_the_patients_name_number_or_email_and_the_audit_chain_verifies()
    {
        var s = await PatientWithHistoryAsync();
        var refused = await PortalProcess.CommandAsync(portal.Database, "patient", "erase", "--clinic", s.Clinic.Slug, "--phone", s.Phone);
        Assert.Equal(2, refused.ExitCode); // no --yes
        Assert.Contains("add --yes", refused.Stderr);
        Assert.Contains(s.Name, await DumpAllAsync()); // before: the patient is there

        var erased = await PortalProcess.CommandAsync(portal.Database, "patient", "erase", "--clinic", s.Clinic.Slug, "--phone", s.Phone, "--yes");

        Assert.True(erased.ExitCode == 0, erased.Stderr);
        Assert.Contains("is erased", erased.Stdout);
        var dump = await DumpAllAsync();
        var national = s.Phone[3..]; // 7701…: inside 07701…, +447701… and 447701…
        foreach (var form in new[] { s.Name, s.Name.ToLowerInvariant(), s.Name.Split(' ')[1], s.Email, national, national.Insert(4, " ") })
            Assert.False(dump.Contains(form, StringComparison.Ordinal), $"the dump still holds '{form}'");

        // The facts that identify no one stay, under the anonymous patient.
        Assert.Equal(1, await s.Clinic.CountAsync("appointments", $"id = '{s.AppointmentId}' and patient_id = '{s.PatientId}' and status = 'pending'"));
        Assert.Equal(1, await s.Clinic.CountAsync("patients", $"id = '{s.PatientId}' and name = 'Erased patient' and phone is null and erased_at is not null"));
        Assert.Equal(0, await s.Clinic.CountAsync("data_keys", $"wrapped is not null and (patient_id = '{s.PatientId}' " +
            $"or id in (select data_key_id from calls where call_id in ('{s.BookingCall}', '{s.OtherCall}')))"));
        Assert.Equal(1, await s.Clinic.CountAsync("data_keys", "wrapped is not null")); // the other patient's (their text): untouched
        Assert.Equal(1, await s.Clinic.CountAsync("audit_log", $"action = 'patient.erased' and subject_id = '{s.PatientId}'"));

        var sealer = portal.Services.GetRequiredService<AuditSealer>();
        while (await sealer.SealBatchAsync(CancellationToken.None) > 0) { }
        var verdict = await portal.Services.GetRequiredService<AuditChain>().VerifyAsync(s.Clinic.Id);
        Assert.True(verdict.Ok, verdict.Problem);
        Assert.Equal(0, (await PortalProcess.CommandAsync(portal.Database, "audit", "verify", "--clinic", s.Clinic.Slug)).ExitCode);

        var again = await PortalProcess.CommandAsync(portal.Database, "patient", "erase", "--clinic", s.Clinic.Slug, "--phone", s.Phone, "--yes");
        Assert.Equal(2, again.ExitCode); // the number belongs to no one now
    }

    /// <summary>pg_dumpall of the whole test cluster, as its superuser.</summary>
    private async Task<string> DumpAllAsync()
    {
        var cs = new Npgsql.NpgsqlConnectionStringBuilder(portal.Database.SuperuserConnectionString);
        var psi = new ProcessStartInfo("/usr/lib/postgresql/15/bin/pg_dumpall", ["-h", cs.Host!, "-p", cs.Port.ToString(), "-U", "postgres"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await error);
        return await output;
    }

    private async Task<T> ScalarAsync<T>(string sql, object param)
    {
        await using var su = portal.Superuser();
        return (await su.ScalarAsync<T>(sql, param))!;
    }
}
