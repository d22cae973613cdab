using ClinicPortal.Tests.Support;
using Microsoft.Playwright;

namespace ClinicPortal.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class CalendarBrowserTests(BrowserFixture browser)
{
    [Fact]
    public async Task The_day_and_week_views_place_appointments_in_clinic_time_and_update_live()
    {
        var clinic = await BrowserClinic.NewAsync(browser);
        var date = DateTime.UtcNow.Date.AddDays(21);
        await BrowserClinic.BookAsync(browser.InstanceA, clinic.Secret, "Cal Morning", "09:30", date.ToString("yyyy-MM-dd"));
        var page = await browser.SignInAsync(browser.InstanceA, clinic.Email, BrowserClinic.Password);

        await BrowserFixture.GotoAsync(page, $"/calendar?date={date:yyyy-MM-dd}");
        var row = page.GetByTestId("calendar").Locator("tr", new() { Has = page.Locator("th", new() { HasTextString = "09:30" }) });
        await Assertions.Expect(row).ToContainTextAsync("Cal Morning");

        await BrowserClinic.BookAsync(browser.InstanceA, clinic.Secret, "Cal Afternoon", "15:00", date.ToString("yyyy-MM-dd"));
        await Assertions.Expect(page.GetByTestId("calendar")).ToContainTextAsync("Cal Afternoon", new() { Timeout = 10_000 });

        await BrowserFixture.GotoAsync(page, $"/calendar?date={date:yyyy-MM-dd}&view=week");
        await Assertions.Expect(page.GetByTestId("calendar")).ToContainTextAsync(date.ToString("ddd d MMM", System.Globalization.CultureInfo.GetCultureInfo("en-GB")));
        await Assertions.Expect(page.GetByTestId("calendar")).ToContainTextAsync("Cal Afternoon");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, "calendar-week.png"), FullPage = true });
    }
}
