using ClinicPortal.Tests.Support;
using Microsoft.Playwright;

namespace ClinicPortal.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class AuditBrowserTests(BrowserFixture browser)
{
    [Fact]
    public async Task An_admin_filters_the_audit_log_opens_an_entry_and_verifies_the_chain()
    {
        var clinic = await BrowserClinic.NewAsync(browser, role: "admin");
        await BrowserClinic.BookAsync(browser.InstanceA, clinic.Secret, "Audra Audit", "10:00");
        var page = await browser.SignInAsync(browser.InstanceA, clinic.Email, BrowserClinic.Password);
        await BrowserFixture.GotoAsync(page, "/admin/audit");

        await BrowserFixture.ChooseAsync(page, "action", "appointment.booked");
        await Assertions.Expect(page.GetByTestId("audit").Locator("tbody tr")).ToHaveCountAsync(1);
        await page.GetByTestId("audit").Locator("tbody tr").First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("detail")).ToContainTextAsync("Dr Ada A");
        await Assertions.Expect(page.GetByTestId("detail")).Not.ToContainTextAsync("Audra Audit"); // no patient names in the chain

        await page.GetByTestId("verify").ClickAsync();
        await Assertions.Expect(page.GetByTestId("verdict")).ToContainTextAsync("The chain is intact");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, "audit-log.png"), FullPage = true });
    }
}
