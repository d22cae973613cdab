using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using ClinicPortal.TestSupport;
using ClinicPortal.Tests.Support;
using Microsoft.Playwright;

namespace ClinicPortal.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class MessagesBrowserTests(BrowserFixture browser)
{
    [Fact]
    public async Task A_patient_opening_the_confirmation_link_shows_on_the_open_dashboard_without_reloading()
    {
        var clinic = await BrowserClinic.NewAsync(browser);
        var page = await browser.SignInAsync(browser.InstanceA, clinic.Email, BrowserClinic.Password);
        await BrowserClinic.BookAsync(browser.InstanceA, clinic.Secret, "Carla Confirms", "14:00");
        var text = (await (await TestDatabase.TwilioAsync()).WaitForAsync(BrowserClinic.PhoneOf("Carla Confirms")))[^1];
        var link = Regex.Match(text.Body, @"https?://\S+/c/[A-Za-z0-9_-]{32}").Value;
        await page.EvaluateAsync("() => window.__notReloaded = true");

        var phone = await browser.Browser.NewPageAsync(); // the patient's phone: opens the link, presses Confirm
        await phone.GotoAsync(link);
        await phone.GetByTestId("confirm").ClickAsync();
        await Assertions.Expect(phone.GetByTestId("confirmation-heading")).ToHaveTextAsync("Your appointment is confirmed");

        var confirmed = page.GetByTestId("activity").Locator("li", new() { HasText = "Confirmed" });
        await Assertions.Expect(confirmed).ToContainTextAsync("Carla Confirms", new() { Timeout = 10_000 });
        await Assertions.Expect(confirmed).ToContainTextAsync("by the patient");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"));
    }

    [Fact]
    public async Task Staff_see_a_failed_text_with_twilios_reason_and_resend_it()
    {
        var clinic = await BrowserClinic.NewAsync(browser);
        var caller = Phones.Unique();
        var twilio = await TestDatabase.TwilioAsync();
        twilio.Script(caller, new FakeTwilio.Behaviour.Refuse(400, 30008, "Unknown error")); // fails once, for good
        using (var http = new HttpClient { BaseAddress = new Uri(browser.InstanceA.Url) })
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", clinic.Secret);
            (await http.PostAsJsonAsync("/api/vapi/webhook", new
            {
                message = new { type = "end-of-call-report", call = new { id = "call-" + Guid.NewGuid(), customer = new { number = caller } } },
            })).EnsureSuccessStatusCode();
        }
        var page = await browser.SignInAsync(browser.InstanceA, clinic.Email, BrowserClinic.Password);
        await BrowserFixture.GotoAsync(page, "/messages");

        var failed = page.Locator("tr.status-failed");
        await Assertions.Expect(failed).ToContainTextAsync("30008: Unknown error", new() { Timeout = 10_000 });
        await failed.GetByTestId("resend").ClickAsync();

        await Assertions.Expect(BrowserFixture.Snackbar(page)).ToContainTextAsync("Queued again");
        await Assertions.Expect(page.Locator("tr.status-sent")).ToContainTextAsync("resent", new() { Timeout = 10_000 });
        Assert.Single(twilio.MessagesTo(caller));
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, "messages.png"), FullPage = true });
    }
}
