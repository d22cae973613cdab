using ClinicPortal.Tests.Support;
using Microsoft.Playwright;

namespace ClinicPortal.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class SettingsBrowserTests(BrowserFixture browser)
{
    [Fact]
    public async Task An_admin_creates_a_credential_and_sees_its_secret_once()
    {
        var clinic = await BrowserClinic.NewAsync(browser, role: "admin");
        var page = await browser.SignInAsync(browser.InstanceA, clinic.Email, BrowserClinic.Password);
        await BrowserFixture.GotoAsync(page, "/admin/settings");

        await BrowserFixture.TypeAsync(page, "credential-label", "Vapi production");
        await page.GetByTestId("create-credential").ClickAsync();

        await Assertions.Expect(page.GetByTestId("new-secret")).ToContainTextAsync("cps_");
        await Assertions.Expect(page.GetByText("Vapi production")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, "settings.png"), FullPage = true });
        await BrowserFixture.GotoAsync(page, "/admin/settings");
        await Assertions.Expect(page.GetByTestId("new-secret")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task An_admin_creates_an_hmac_credential_with_vapis_defaults_and_sees_how_vapi_must_sign()
    {
        var clinic = await BrowserClinic.NewAsync(browser, role: "admin");
        var page = await browser.SignInAsync(browser.InstanceA, clinic.Email, BrowserClinic.Password);
        await BrowserFixture.GotoAsync(page, "/admin/settings");

        await BrowserFixture.TypeAsync(page, "credential-label", "Vapi HMAC");
        await BrowserFixture.ChooseAsync(page, "credential-kind", "HMAC signature");
        await Assertions.Expect(page.GetByTestId("hmac-settings")).ToBeVisibleAsync();
        await page.GetByTestId("create-credential").ClickAsync();

        await Assertions.Expect(page.GetByTestId("new-secret")).ToContainTextAsync("kept sealed");
        await Assertions.Expect(page.GetByText("sha256 hex in x-signature, x-timestamp, {timestamp}.{body}")).ToBeVisibleAsync();
    }
}
