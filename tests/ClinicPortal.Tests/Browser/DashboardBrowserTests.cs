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
    [Fact]
    public async Task A_booking_through_the_webhook_appears_on_the_open_dashboard_without_reloading()
    {
        var clinic = await BrowserClinic.NewAsync(browser);
        var page = await browser.SignInAsync(browser.InstanceA, clinic.Email, BrowserClinic.Password);
        await page.EvaluateAsync("() => window.__notReloaded = true");

        await BrowserClinic.BookAsync(browser.InstanceA, clinic.Secret, "Zed Browser", "10:00");

        await Assertions.Expect(page.GetByTestId("activity")).ToContainTextAsync("Zed Browser", new() { Timeout = 10_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"));
        await Assertions.Expect(page.GetByTestId("bookings-today")).ToHaveTextAsync("1");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, "dashboard.png"), FullPage = true });
        await page.SetViewportSizeAsync(820, 1180); // a tablet held upright
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, "dashboard-tablet.png"), FullPage = true });
    }

    [Fact]
    public async Task A_booking_through_instance_a_appears_on_a_dashboard_served_by_instance_b()
    {
        var clinic = await BrowserClinic.NewAsync(browser);
        var page = await browser.SignInAsync(browser.InstanceB, clinic.Email, BrowserClinic.Password);

        await BrowserClinic.BookAsync(browser.InstanceA, clinic.Secret, "Yara Twoinstances", "11:00");

        await Assertions.Expect(page.GetByTestId("activity")).ToContainTextAsync("Yara Twoinstances", new() { Timeout = 10_000 });
    }

    [Fact]
    public async Task Another_clinics_booking_never_appears()
    {
        var mine = await BrowserClinic.NewAsync(browser);
        var theirs = await BrowserClinic.NewAsync(browser);
        var page = await browser.SignInAsync(browser.InstanceA, mine.Email, BrowserClinic.Password);

        await BrowserClinic.BookAsync(browser.InstanceA, theirs.Secret, "Xavier Otherclinic", "12:00");
        await BrowserClinic.BookAsync(browser.InstanceA, mine.Secret, "Wendy Ownclinic", "12:00");

        // Events arrive in commit order: once ours is shown, theirs would have been too.
        await Assertions.Expect(page.GetByTestId("activity")).ToContainTextAsync("Wendy Ownclinic", new() { Timeout = 10_000 });
        await Assertions.Expect(page.GetByTestId("activity")).Not.ToContainTextAsync("Xavier Otherclinic");
        await Assertions.Expect(page.GetByTestId("clinic-name")).ToHaveTextAsync("Browser Clinic " + mine.Slug[2..6]);
    }
}
