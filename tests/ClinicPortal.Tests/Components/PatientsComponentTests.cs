using Bunit;
using ClinicPortal.Features.Patients;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Components;

/// <summary>The Patients pages on the real stores: search, a patient's history, edit, merge, and erasure behind a typed confirmation.</summary>
[Collection(PortalCollection.Name)]
public sealed class PatientsComponentTests(ClinicPortalFactory portal)
{
    private static async Task<Guid> PatientIdAsync(ClinicPortalFactory portal, TestClinic clinic, string phone)
    {
        await using var su = portal.Superuser();
        return (await su.ScalarAsync<Guid>("select id from patients where clinic_id = @Id and phone = @phone", new { clinic.Id, phone }))!;
    }

    [Fact]
    public async Task Staff_find_a_patient_by_name_phone_or_code_and_see_their_appointments_calls_and_texts()
    {
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        var booked = await clinic.CallToolAsync("book_appointment", new
        {
            provider = "dr-a", date = Dates.Upcoming(DayOfWeek.Tuesday), time = "10:00", patient_name = "Ottoline Vance", patient_phone = phone,
            notes = "Prefers mornings",
        }, callId: "pc-call");
        await clinic.EndCallAsync("pc-call", phone);
        await using var ctx = ComponentContext.For(portal, clinic);

        var list = ctx.Render<PatientsPage>();
        foreach (var search in new[] { "ottoline", phone[^6..], booked.GetProperty("confirmation_code").GetString()! })
        {
            await list.Find("input[data-testid=patient-search]").InputAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = search });
            list.WaitForAssertion(() => Assert.Contains("Ottoline Vance", list.Find("[data-testid=patients]").TextContent), TimeSpan.FromSeconds(10));
        }
        await list.Find("input[data-testid=patient-search]").InputAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "nobody-like-this" });
        list.WaitForAssertion(() => Assert.Contains("No patient matches that.", list.Markup), TimeSpan.FromSeconds(10));

        var id = await PatientIdAsync(portal, clinic, phone);
        var page = ctx.Render<PatientPage>(p => p.Add(x => x.Id, id));
        page.WaitForAssertion(() => Assert.Contains("Ottoline Vance", page.Find("[data-testid=patient-name]").TextContent));
        Assert.Contains("Dr Ada A", page.Find("[data-testid=patient-appointments]").TextContent);
        Assert.Contains("Confirmation", page.Find("[data-testid=patient-texts]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=patient-rights]")); // staff: no export, no erasure

        await page.Find("[data-testid=open-call]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains("Caller asked about prices", page.Find("[data-testid=call-summary]").TextContent));
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'call.transcript_read' and subject_id = 'pc-call' and actor = 'staff:tester@example.com'"));
    }

    [Fact]
    public async Task Edits_are_validated_and_audited_without_values_and_a_merge_moves_the_appointments()
    {
        var clinic = await portal.CreateClinicAsync();
        var (phone, other) = (Phones.Unique(), Phones.Unique());
        var date = Dates.Upcoming(DayOfWeek.Wednesday);
        await clinic.BookAsync("dr-a", date, "10:00", phone: phone);
        await clinic.BookAsync("dr-a", date, "11:00", phone: other);
        var (keep, duplicate) = (await PatientIdAsync(portal, clinic, phone), await PatientIdAsync(portal, clinic, other));
        var records = portal.Services.GetRequiredService<PatientRecords>();

        Assert.Contains("not a valid", await records.UpdateAsync(clinic.Id, keep, "Pat Test", null, "12345", "staff:a@example.com") ?? "");
        Assert.Contains("merge the two records", await records.UpdateAsync(clinic.Id, keep, "Pat Test", null, other, "staff:a@example.com"));
        Assert.Contains("not an email address", await records.UpdateAsync(clinic.Id, keep, "Pat Test", "nope", phone, "staff:a@example.com"));
        Assert.Null(await records.UpdateAsync(clinic.Id, keep, "Patricia Test", "pat@example.com", "0" + phone[3..], "staff:a@example.com"));
        Assert.Equal(1, await clinic.CountAsync("patients", $"id = '{keep}' and name = 'Patricia Test' and email = 'pat@example.com' and phone = '{phone}'"));
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'patient.updated' and detail->'changed' = '[\"name\", \"email\"]'::jsonb"));

        Assert.Null(await records.MergeAsync(clinic.Id, keep, duplicate, "staff:a@example.com"));
        Assert.Equal(2, await clinic.CountAsync("appointments", $"patient_id = '{keep}'"));
        Assert.Equal(0, await clinic.CountAsync("patients", $"id = '{duplicate}'"));
        Assert.Equal(1, await clinic.CountAsync("audit_log", $"action = 'patient.merged' and subject_id = '{keep}' and detail->>'appointments_moved' = '1'"));
        Assert.NotNull(await records.MergeAsync(clinic.Id, keep, keep, "staff:a@example.com"));
    }

    [Fact]
    public async Task An_admin_erases_a_patient_only_after_typing_erase()
    {
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        await clinic.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Friday), "10:00", phone: phone);
        var id = await PatientIdAsync(portal, clinic, phone);
        await using var ctx = ComponentContext.For(portal, clinic, "admin");
        var page = ctx.Render<PatientPage>(p => p.Add(x => x.Id, id));
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=patient-rights]")));

        Assert.True(page.Find("[data-testid=erase]").HasAttribute("disabled"));
        await page.Find("input[data-testid=erase-confirm]").InputAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "erase" });
        Assert.True(page.Find("[data-testid=erase]").HasAttribute("disabled")); // the exact word
        await page.Find("input[data-testid=erase-confirm]").InputAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "ERASE" });
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=erase]").HasAttribute("disabled")));
        await page.Find("[data-testid=erase]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains("Erased patient", page.Find("[data-testid=patient-name]").TextContent));
        Assert.Equal(1, await clinic.CountAsync("audit_log", $"action = 'patient.erased' and subject_id = '{id}' and actor = 'staff:tester@example.com'"));
        Assert.Equal(1, await clinic.CountAsync("appointments", $"patient_id = '{id}'"));
    }
}
