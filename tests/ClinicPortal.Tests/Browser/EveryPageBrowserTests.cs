using System.Reflection;
using ClinicPortal.Tests.Support;
using Microsoft.AspNetCore.Components;
using Microsoft.Playwright;

namespace ClinicPortal.Tests.Browser;

/// <summary>Every staff page opens in a real browser for an admin, at desktop and tablet width, without an error, and leaves a screenshot.</summary>
[Collection(BrowserCollection.Name)]
public sealed class EveryPageBrowserTests(BrowserFixture browser)
{
    /// <summary>The staff pages, found by reflection so a new page cannot be forgotten here.</summary>
    private static IReadOnlyList<string> StaffPages() => typeof(Program).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(ClinicPortal.Components.StaffPage)))
        .SelectMany(t => t.GetCustomAttributes<RouteAttribute>().Select(r => r.Template))
        .Order().ToList();

    [Fact]
    public async Task Every_staff_page_renders_at_desktop_and_tablet_width_without_an_error()
    {
        var clinic = await BrowserClinic.NewAsync(browser, role: "admin");
        await BrowserClinic.BookAsync(browser.InstanceA, clinic.Secret, "Paige Screens", "10:00", DateTime.UtcNow.Date.AddDays(1).ToString("yyyy-MM-dd"));
        var page = await browser.SignInAsync(browser.InstanceA, clinic.Email, BrowserClinic.Password);
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        Guid patient;
        await using (var su = new Npgsql.NpgsqlConnection(browser.Database.SuperuserConnectionString))
            patient = (await su.ScalarAsync<Guid>("select id from patients where name = 'Paige Screens' order by created_at desc limit 1"))!;
        var pages = StaffPages().Select(p => p.Replace("{Id:guid}", patient.ToString())).ToList(); // a record page opens that patient
        Assert.Contains("/appointments", pages);

        foreach (var (width, height, device) in new[] { (1280, 900, "desktop"), (820, 1180, "tablet") })
        {
            await page.SetViewportSizeAsync(width, height);
            foreach (var path in pages)
            {
                await BrowserFixture.GotoAsync(page, path);
                await Assertions.Expect(page.Locator("h1")).ToBeVisibleAsync();
                await Assertions.Expect(page.Locator("#blazor-error-ui")).ToBeHiddenAsync();
                var name = path == "/" ? "dashboard" : path.Trim('/').Replace(patient.ToString(), "record").Replace('/', '-');
                await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, $"page-{name}-{device}.png"), FullPage = true });
            }
        }
        Assert.Empty(errors);
    }
}
