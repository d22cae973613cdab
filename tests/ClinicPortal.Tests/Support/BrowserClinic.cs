using System.Net.Http.Headers;
using System.Net.Http.Json;
using ClinicPortal.Features.Clinics;
using ClinicPortal.Features.Demo;
using ClinicPortal.Features.Staff;

namespace ClinicPortal.Tests.Support;

/// <summary>A fresh clinic for a browser test: one provider open 07:00-20:00 daily, one staff account, a webhook secret.</summary>
public sealed record BrowserClinic(string Slug, string Email, string Secret)
{
    public const string Password = "browser-Password-1";

    public static async Task<BrowserClinic> NewAsync(BrowserFixture browser, string role = "staff")
    {
        var slug = "b-" + Guid.NewGuid().ToString("N")[..10];
        var secret = "secret-" + Guid.NewGuid().ToString("N");
        var hours = Enumerable.Range(1, 7).Select(d => new WorkingDay(d, new TimeOnly(7, 0), new TimeOnly(20, 0))).ToList();
        await ClinicSetup.EnsureClinicAsync(browser.Database.OwnerConnectionString, new ClinicSpec(slug, "Browser Clinic " + slug[2..6], "Europe/London",
            "+442079460999", 60, [new ProviderSpec("dr-a", "Dr Ada A", "General", hours)], DemoSeed.Procedures, [secret]));
        var email = $"{role}@{slug}.example";
        await StaffAccounts.EnsureAsync(browser.Database.OwnerConnectionString, slug, email, "Browser " + role, Password, role);
        return new BrowserClinic(slug, email, secret);
    }

    /// <summary>Each test patient has a number of their own (a clinic knows a patient by phone).</summary>
    public static string PhoneOf(string patient) => "+4477013" + ((uint)patient.GetHashCode() % 100000).ToString("D5");

    /// <summary>Books through the webhook, as the voice agent would.</summary>
    public static async Task BookAsync(PortalProcess instance, string secret, string patient, string time, string? date = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri(instance.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        date ??= DateTime.UtcNow.Date.AddDays(21).ToString("yyyy-MM-dd");
        var response = await http.PostAsJsonAsync("/api/vapi/webhook", TestClinic.ToolCallsMessage("book_appointment",
            new { provider = "dr-a", date, time, procedure = "Consultation", patient_name = patient, patient_phone = PhoneOf(patient) },
            TestClinic.NewToolCallId()));
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsStringAsync();
        if (!body.Contains("booked")) throw new InvalidOperationException("not booked: " + body);
    }
}
