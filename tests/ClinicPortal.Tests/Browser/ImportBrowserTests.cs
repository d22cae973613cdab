using ClinicPortal.Tests.Support;
using Microsoft.Playwright;

namespace ClinicPortal.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class ImportBrowserTests(BrowserFixture browser)
{
    [Fact]
    public async Task An_admin_uploads_a_file_sees_its_problems_by_row_then_checks_and_imports_a_good_one()
    {
        var clinic = await BrowserClinic.NewAsync(browser, role: "admin");
        var page = await browser.SignInAsync(browser.InstanceA, clinic.Email, BrowserClinic.Password);
        await BrowserFixture.GotoAsync(page, "/admin/import");
        var phone = Phones.Unique();

        await page.GetByTestId("import-file").SetInputFilesAsync(new FilePayload
        {
            Name = "patients.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes($"name,phone\nGood One,{phone}\nBad Number,12345\n"),
        });
        await page.GetByTestId("import-check").ClickAsync();
        await Assertions.Expect(page.GetByTestId("import-report")).ToContainTextAsync("nothing was written");
        await Assertions.Expect(page.GetByTestId("import-report")).ToContainTextAsync("phone");
        await Assertions.Expect(page.GetByTestId("import-run")).ToBeDisabledAsync();

        await page.GetByTestId("import-file").SetInputFilesAsync(new FilePayload
        {
            Name = "patients.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes($"name,phone\nGood One,{phone}\n"),
        });
        await page.GetByTestId("import-check").ClickAsync();
        await Assertions.Expect(page.GetByTestId("import-report")).ToContainTextAsync("1 to add");
        await page.GetByTestId("import-run").ClickAsync();
        await Assertions.Expect(page.GetByTestId("import-report")).ToContainTextAsync("Imported.");
    }
}
