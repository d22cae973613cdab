using ClinicPortal.Tests.Support;
using Microsoft.Playwright;

namespace ClinicPortal.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class SessionBrowserTests(BrowserFixture browser)
{
    /// <summary>An open dashboard whose person is removed from the clinic goes to sign-in by itself (rechecked every second in tests, every minute by default).</summary>
    [Fact]
    public async Task An_open_page_goes_to_sign_in_when_the_persons_membership_is_removed()
    {
        var clinic = await BrowserClinic.NewAsync(browser);
        var page = await browser.SignInAsync(browser.InstanceA, clinic.Email, BrowserClinic.Password);
        await page.Locator("[data-circuit=on]").WaitForAsync(); // the circuit is connected

        await using (var su = new Npgsql.NpgsqlConnection(browser.Database.SuperuserConnectionString))
            await su.ExecAsync("delete from clinic_staff where clinic_id = (select id from clinics where slug = @Slug)", new { clinic.Slug });

        await page.WaitForURLAsync("**/sign-in**", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#email")).ToBeVisibleAsync();
    }
}
