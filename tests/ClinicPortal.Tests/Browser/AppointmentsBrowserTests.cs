using ClinicPortal.Tests.Support;
using Microsoft.Playwright;

namespace ClinicPortal.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class AppointmentsBrowserTests(BrowserFixture browser)
{
    [Fact]
    public async Task A_conflicting_reschedule_in_the_ui_offers_alternatives_and_leaves_the_appointment_where_it_was()
    {
        var clinic = await BrowserClinic.NewAsync(browser);
        var day = DateTime.UtcNow.Date.AddDays(21);
        var date = day.ToString("yyyy-MM-dd");
        await BrowserClinic.BookAsync(browser.InstanceA, clinic.Secret, "Una Taken", "10:00", date);
        await BrowserClinic.BookAsync(browser.InstanceA, clinic.Secret, "Victor Mover", "11:00", date);
        var page = await browser.SignInAsync(browser.InstanceA, clinic.Email, BrowserClinic.Password);
        await BrowserFixture.GotoAsync(page, "/appointments");

        var row = page.GetByTestId("appointments").Locator("tr", new() { HasText = "Victor Mover" });
        await row.GetByRole(AriaRole.Button, new() { Name = "Reschedule" }).ClickAsync();
        await BrowserFixture.TypeAsync(page, "move-date", BrowserFixture.Typed(day));
        await BrowserFixture.TypeAsync(page, "move-time", "10:00");
        // The server has the new date and time once the dialog says them back (a typed date can arrive after the time).
        await Assertions.Expect(page.GetByTestId("move-summary")).ToHaveTextAsync($"Move to {LongDate(day)} at 10:00");
        await page.GetByTestId("move").ClickAsync();

        await Assertions.Expect(page.GetByTestId("outcome")).ToContainTextAsync("already taken");
        var alternatives = page.GetByTestId("alternatives").GetByRole(AriaRole.Button);
        await Assertions.Expect(alternatives.First).ToBeVisibleAsync();
        Assert.InRange(await alternatives.CountAsync(), 1, 3);
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, "reschedule-conflict.png"), FullPage = true });
        await using (var conn = new Npgsql.NpgsqlConnection(browser.Database.SuperuserConnectionString))
        {
            var startsAt = await conn.ScalarAsync<DateTime>("""
                select a.starts_at from appointments a join patients p on p.clinic_id = a.clinic_id and p.id = a.patient_id
                 join clinics c on c.id = a.clinic_id where c.slug = @Slug and p.name = 'Victor Mover'
                """, new { clinic.Slug });
            Assert.Equal(11, TimeZoneInfo.ConvertTimeFromUtc(startsAt, TimeZoneInfo.FindSystemTimeZoneById("Europe/London")).Hour);
        }

        await alternatives.First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("reschedule-panel")).ToHaveCountAsync(0); // the dialog closes once it has moved
        await Assertions.Expect(page.GetByTestId("outcome")).ToContainTextAsync("Done");
    }

    [Fact]
    public async Task Staff_book_from_the_ui_through_the_same_path_and_are_the_audited_actor()
    {
        var clinic = await BrowserClinic.NewAsync(browser);
        var page = await browser.SignInAsync(browser.InstanceA, clinic.Email, BrowserClinic.Password);
        await BrowserFixture.GotoAsync(page, "/appointments");
        var day = DateTime.UtcNow.Date.AddDays(22);

        await BrowserFixture.ChooseAsync(page, "new-provider", "Dr Ada A");
        await BrowserFixture.TypeAsync(page, "new-date", BrowserFixture.Typed(day));
        await BrowserFixture.TypeAsync(page, "new-time", "09:30");
        await BrowserFixture.TypeAsync(page, "new-patient", "Walk-in Wanda");
        await BrowserFixture.TypeAsync(page, "new-phone", "07700 100777");
        // The server has every field once the form says them back (a typed date can arrive after later fields).
        await Assertions.Expect(page.GetByTestId("new-summary"))
            .ToHaveTextAsync($"Dr Ada A, {LongDate(day)} at 09:30, for Walk-in Wanda");
        await page.GetByTestId("book").ClickAsync();

        await Assertions.Expect(page.GetByTestId("outcome")).ToContainTextAsync("confirmation code");
        await Assertions.Expect(page.GetByTestId("appointments")).ToContainTextAsync("Walk-in Wanda");
        await using var conn = new Npgsql.NpgsqlConnection(browser.Database.SuperuserConnectionString);
        var actor = await conn.ScalarAsync<string>("""
            select l.actor from audit_log l join clinics c on c.id = l.clinic_id where c.slug = @Slug and l.action = 'appointment.booked'
            """, new { clinic.Slug });
        Assert.Equal("staff:" + clinic.Email, actor);
    }

    /// <summary>A date as the forms say it back: "Monday 28 December 2026".</summary>
    private static string LongDate(DateTime day) => day.ToString("dddd d MMMM yyyy", System.Globalization.CultureInfo.GetCultureInfo("en-GB"));
}
