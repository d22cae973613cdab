using Microsoft.Playwright;

namespace ClinicPortal.Tests.Support;

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}

/// <summary>
/// Debian's Chromium driven by Playwright (Playwright cannot download its own browsers here), and two
/// portal processes on the test database, as two app instances behind one load balancer would be.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;
    public PortalProcess InstanceA { get; private set; } = null!;
    public PortalProcess InstanceB { get; private set; } = null!;
    public ClinicPortal.Infrastructure.Database.EmbeddedPostgres Database { get; private set; } = null!;

    public static string Screenshots => Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium)) throw new InvalidOperationException("Chromium is missing: ./clinic test installs it (apt-get install chromium).");
        Database = await TestDatabase.GetAsync();
        var a = PortalProcess.StartAsync(Database);
        var b = PortalProcess.StartAsync(Database);
        InstanceA = await a;
        InstanceB = await b;
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync"],
        });
        Directory.CreateDirectory(Screenshots);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (InstanceA is not null) await InstanceA.DisposeAsync();
        if (InstanceB is not null) await InstanceB.DisposeAsync();
    }

    /// <summary>A fresh browser context signed in as the given account, on the dashboard, with the circuit connected.</summary>
    public async Task<IPage> SignInAsync(PortalProcess instance, string email, string password)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = instance.Url, ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await page.GetByText("Live activity").WaitForAsync(new() { Timeout = 20_000 });
        await WaitForCircuitAsync(page);
        return page;
    }

    /// <summary>Opens a page and waits until its circuit is connected (before that, input on the prerendered page is lost).</summary>
    public static async Task GotoAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        await WaitForCircuitAsync(page);
    }

    /// <summary>Types into a MudBlazor field (text, date or time picker) found by its data-testid, then leaves it so the value is taken.</summary>
    public static async Task TypeAsync(IPage page, string testId, string text)
    {
        // MudBlazor puts the attribute on the input itself for text fields, on a wrapper for pickers.
        var input = page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;
        await input.FillAsync(text);
        await input.PressAsync("Tab");
    }

    /// <summary>Picks an option of a MudSelect found by its data-testid.</summary>
    public static async Task ChooseAsync(IPage page, string testId, string option)
    {
        await page.GetByTestId(testId).ClickAsync();
        await page.Locator(".mud-popover-open").GetByText(option, new() { Exact = true }).ClickAsync();
    }

    /// <summary>The snackbars (MudBlazor) where pages say what an action came to.</summary>
    public static ILocator Snackbar(IPage page) => page.Locator(".mud-snackbar");

    /// <summary>A date as staff type it (British, day first).</summary>
    public static string Typed(DateTime date) => date.ToString("dd/MM/yyyy", System.Globalization.CultureInfo.InvariantCulture);

    private static Task WaitForCircuitAsync(IPage page) =>
        page.Locator("[data-circuit=on]").WaitForAsync(new() { Timeout = 20_000 });
}
