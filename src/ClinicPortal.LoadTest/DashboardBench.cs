using System.Diagnostics;
using Microsoft.Playwright;

namespace ClinicPortal.LoadTest;

/// <summary>
/// Event-to-screen latency and memory per open dashboard, in Debian's Chromium: signs in as a demo
/// staff member, books through the webhook, and times from the webhook's answer (the booking has
/// committed) until the row shows on the open dashboard. Then opens N more dashboards and reads the
/// portal's resident memory before and after.
/// </summary>
public static class DashboardBench
{
    public static async Task<int> RunAsync(Options o)
    {
        var url = o.Get("url", "http://127.0.0.1:5000");
        var secret = o.Get("secret", "riverside-demo-secret");
        var email = o.Get("email", "staff@riverside.example");
        var password = o.Get("password", "demo-Password-1");
        var bookings = int.Parse(o.Get("bookings", "60"));
        var dashboards = int.Parse(o.Get("dashboards", "50"));
        var pid = o.Get("portal-pid") is { } p ? int.Parse(p) : (int?)null;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var context = await browser.NewContextAsync(new() { BaseURL = url });
        var page = await OpenDashboardAsync(context, email, password, signIn: true);
        using var webhook = new Webhook(url, secret, 4);

        Console.WriteLine($"Event to screen: {bookings} bookings through the webhook, each timed until its row shows on an open dashboard");
        var fromCommit = new List<double>();
        var fromRequest = new List<double>();
        var day = DateTime.UtcNow.Date.AddDays(100 + Random.Shared.Next(20000));
        for (var i = 0; i < bookings; i++)
        {
            while (day.DayOfWeek == DayOfWeek.Sunday) day = day.AddDays(1);
            var patient = $"Screen Test {Guid.NewGuid().ToString("N")[..8]}";
            var started = Stopwatch.GetTimestamp();
            var answer = await webhook.BookAsync(new[] { "dr-patel", "dr-okafor", "dr-lewis" }[i % 3], day.ToString("yyyy-MM-dd"),
                $"{9 + i / 3 % 8:D2}:{i % 2 * 30:D2}", $"+44773{Random.Shared.Next(10000000):D7}", "Consultation", patient);
            var committed = Stopwatch.GetTimestamp();
            if (answer.Status != "booked") { day = day.AddDays(1); i--; continue; }
            await page.GetByTestId("activity").GetByText(patient).WaitForAsync(new() { Timeout = 10_000 });
            var shown = Stopwatch.GetTimestamp();
            fromCommit.Add(Stopwatch.GetElapsedTime(committed, shown).TotalMilliseconds);
            fromRequest.Add(Stopwatch.GetElapsedTime(started, shown).TotalMilliseconds);
            if (i % 24 == 23) day = day.AddDays(1);
        }
        Console.WriteLine($"  commit → visible: {Describe(fromCommit)}");
        Console.WriteLine($"  request → visible: {Describe(fromRequest)}");

        using var http = new HttpClient { BaseAddress = new Uri(url) };
        async Task<(long Managed, long Rss)> MemoryAsync()
        {
            await Task.Delay(2000);
            var m = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/diagnostics/memory")).RootElement;
            return (m.GetProperty("managed_bytes").GetInt64(), pid is { } p ? Rss(p) : m.GetProperty("working_set_bytes").GetInt64());
        }
        var before = await MemoryAsync();
        var pages = new List<IPage>();
        for (var i = 0; i < dashboards; i++) pages.Add(await OpenDashboardAsync(context, email, password, signIn: false));
        var after = await MemoryAsync();
        Console.WriteLine($"Memory with {dashboards} more open dashboards (each a live circuit):");
        Console.WriteLine($"  live managed heap after a full GC: {before.Managed / 1048576.0:F1} → {after.Managed / 1048576.0:F1} MB, " +
                          $"{(after.Managed - before.Managed) / 1024.0 / dashboards:F0} KB per dashboard (target: under 1 MB)");
        Console.WriteLine($"  process resident set: {before.Rss / 1048576.0:F0} → {after.Rss / 1048576.0:F0} MB, " +
                          $"{(after.Rss - before.Rss) / 1024.0 / dashboards:F0} KB per dashboard (includes socket buffers and heap the GC keeps in reserve)");
        return 0;
    }

    private static async Task<IPage> OpenDashboardAsync(IBrowserContext context, string email, string password, bool signIn)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        if (signIn)
        {
            await page.FillAsync("#email", email);
            await page.FillAsync("#password", password);
            await page.ClickAsync("button[type=submit]");
        }
        await page.Locator("[data-circuit=on]").WaitForAsync(new() { Timeout = 30_000 });
        return page;
    }

    private static string Describe(List<double> ms)
    {
        var s = ms.Order().ToArray();
        double At(double q) => s[Math.Clamp((int)Math.Ceiling(q * s.Length) - 1, 0, s.Length - 1)];
        return $"n={s.Length}, p50 {At(0.5):F0} ms, p95 {At(0.95):F0} ms, max {s[^1]:F0} ms";
    }

    private static long Rss(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
}
