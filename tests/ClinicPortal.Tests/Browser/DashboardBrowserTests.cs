using System.Net.Http.Headers;
using System.Net.Http.Json;
using ClinicPortal.Features.Clinics;
using ClinicPortal.Features.Demo;
using ClinicPortal.Features.Staff;
using ClinicPortal.Tests.Support;
using Microsoft.Playwright;

namespace ClinicPortal.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class DashboardBrowserTests(BrowserFixture browser)
{
    private const string Password = "browser-Password-1";

    /// <summary>A fresh clinic with one staff account and a webhook secret.</summary>
    private async Task<(string Slug, string Email, string Secret)> NewClinicAsync()
    {
        var slug = "b-" + Guid.NewGuid().ToString("N")[..10];
        var secret = "secret-" + Guid.NewGuid().ToString("N");
        var hours = Enumerable.Range(1, 7).Select(d => new WorkingDay(d, new TimeOnly(7, 0), new TimeOnly(20, 0))).ToList();
        await ClinicSetup.EnsureClinicAsync(browser.Database.OwnerConnectionString, new ClinicSpec(slug, "Browser Clinic " + slug[2..6], "Europe/London",
            "+442079460999", 60, [new ProviderSpec("dr-a", "Dr Ada A", "General", hours)], DemoSeed.Procedures, [secret]));
        var email = $"staff@{slug}.example";
        await StaffAccounts.EnsureAsync(browser.Database.OwnerConnectionString, slug, email, "Browser Staff", Password, "staff");
        return (slug, email, secret);
    }

    private static async Task BookAsync(PortalProcess instance, string secret, string patient, string time)
    {
        using var http = new HttpClient { BaseAddress = new Uri(instance.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        var date = DateTime.UtcNow.Date.AddDays(21).ToString("yyyy-MM-dd");
        var response = await http.PostAsJsonAsync("/api/vapi/webhook", TestClinic.ToolCallsMessage("book_appointment",
            new { provider = "dr-a", date, time, procedure = "Consultation", patient_name = patient, patient_phone = "+447700900123" }, TestClinic.NewToolCallId()));
        response.EnsureSuccessStatusCode();
        Assert.Contains("booked", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_booking_through_the_webhook_appears_on_the_open_dashboard_without_reloading()
    {
        var clinic = await NewClinicAsync();
        var page = await browser.SignInAsync(browser.InstanceA, clinic.Email, Password);
        await page.EvaluateAsync("() => window.__notReloaded = true");

        await BookAsync(browser.InstanceA, clinic.Secret, "Zed Browser", "10:00");

        await Assertions.Expect(page.GetByTestId("activity")).ToContainTextAsync("Zed Browser", new() { Timeout = 10_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"));
        await Assertions.Expect(page.GetByTestId("bookings-today")).ToHaveTextAsync("1");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, "dashboard.png"), FullPage = true });
    }

    [Fact]
    public async Task A_booking_through_instance_a_appears_on_a_dashboard_served_by_instance_b()
    {
        var clinic = await NewClinicAsync();
        var page = await browser.SignInAsync(browser.InstanceB, clinic.Email, Password);

        await BookAsync(browser.InstanceA, clinic.Secret, "Yara Twoinstances", "11:00");

        await Assertions.Expect(page.GetByTestId("activity")).ToContainTextAsync("Yara Twoinstances", new() { Timeout = 10_000 });
    }

    [Fact]
    public async Task Another_clinics_booking_never_appears()
    {
        var mine = await NewClinicAsync();
        var theirs = await NewClinicAsync();
        var page = await browser.SignInAsync(browser.InstanceA, mine.Email, Password);

        await BookAsync(browser.InstanceA, theirs.Secret, "Xavier Otherclinic", "12:00");
        await BookAsync(browser.InstanceA, mine.Secret, "Wendy Ownclinic", "12:00");

        // Events arrive in commit order: once ours is shown, theirs would have been too.
        await Assertions.Expect(page.GetByTestId("activity")).ToContainTextAsync("Wendy Ownclinic", new() { Timeout = 10_000 });
        await Assertions.Expect(page.GetByTestId("activity")).Not.ToContainTextAsync("Xavier Otherclinic");
        await Assertions.Expect(page.GetByTestId("clinic-name")).ToHaveTextAsync("Browser Clinic " + mine.Slug[2..6]);
    }
}
