using System.Net.Http.Headers;
using System.Net.Http.Json;
using ClinicPortal.Tests.Support;
using Microsoft.Playwright;

namespace ClinicPortal.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class ProceduresBrowserTests(BrowserFixture browser)
{
    [Fact]
    public async Task An_admin_changes_a_price_and_the_voice_agent_quotes_the_new_one()
    {
        var clinic = await BrowserClinic.NewAsync(browser, "admin");
        var page = await browser.SignInAsync(browser.InstanceA, clinic.Email, BrowserClinic.Password);
        await BrowserFixture.GotoAsync(page, "/procedures");

        await page.GetByText("Liquid rhinoplasty").ClickAsync();
        await BrowserFixture.TypeAsync(page, "price", "£2,700-£3,600");
        await page.GetByTestId("save-procedure").ClickAsync();
        await Assertions.Expect(BrowserFixture.Snackbar(page)).ToContainTextAsync("is saved");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, "procedures.png"), FullPage = true });

        using var http = new HttpClient { BaseAddress = new Uri(browser.InstanceB.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", clinic.Secret);
        var response = await http.PostAsJsonAsync("/api/vapi/webhook",
            TestClinic.ToolCallsMessage("lookup_procedure", new { query = "nose filler" }, TestClinic.NewToolCallId()));
        Assert.Contains("£2,700-£3,600", await response.Content.ReadAsStringAsync());
    }
}
