using System.Diagnostics;
using System.Text.Json;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Operations;

/// <summary>
/// The release verdict, run as `./clinic verify` runs it: GO with every scenario passing on a throwaway portal, NO-GO
/// (exit 1, with the reasons) when the checks fail, reports in three formats, and regressions flagged from the history.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class VerifyTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task A_throwaway_portal_passes_every_scenario_and_the_reports_say_go()
    {
        var dir = TestDatabase.Scratch("verify");
        var (binary, contentRoot) = PortalProcess.Locate();

        var (exit, output) = await RunAsync("--portal-bin", binary, "--content-root", contentRoot, "--data-dir", Path.Combine(dir, "pg"),
            "--out", Path.Combine(dir, "out"), "--history", Path.Combine(dir, "history.jsonl"));

        Assert.True(exit == 0, output);
        Assert.Contains("verify: GO", output);
        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "out", "report.json"))).RootElement;
        Assert.Equal("GO", report.GetProperty("verdict").GetString());
        var scenarios = report.GetProperty("scenarios").EnumerateArray().ToList();
        Assert.Equal(7, scenarios.Count);
        Assert.All(scenarios, s => Assert.True(s.GetProperty("passed").GetBoolean(), s.ToString()));
        Assert.True(report.GetProperty("figures").GetProperty("book_appointment_p95_ms").GetDouble() > 0);
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(dir, "out", "report.html")));
        Assert.StartsWith("# Release verdict: GO", File.ReadAllText(Path.Combine(dir, "out", "report.md")));
        Assert.Single(File.ReadAllLines(Path.Combine(dir, "history.jsonl")));
    }

    [Fact]
    public async Task Failing_checks_make_it_no_go_with_the_reasons_and_a_figure_far_worse_than_the_history_is_a_regression()
    {
        var dir = TestDatabase.Scratch("verify-nogo");
        var history = Path.Combine(dir, "history.jsonl");
        // Ten earlier runs that answered in a tenth of a millisecond: anything real is a regression against them.
        await File.WriteAllLinesAsync(history, Enumerable.Range(0, 10).Select(_ => """{"at":"2026-11-01T00:00:00Z","verdict":"GO","figures":{"overall_p95_ms":0.1}}"""));
        await using var running = await PortalProcess.StartAsync(portal.Database);

        var (exit, output) = await RunAsync("--url", running.Url, "--secret", "not-a-secret", "--other-secret", "not-either",
            "--out", Path.Combine(dir, "out"), "--history", history);

        Assert.True(exit == 1, output);
        Assert.Contains("verify: NO-GO", output);
        Assert.Contains("why: five callers race for one slot: exactly one is booked", output);
        Assert.Contains("regression: overall_p95_ms", output);
        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "out", "report.json"))).RootElement;
        Assert.Equal("NO-GO", report.GetProperty("verdict").GetString());
        Assert.NotEmpty(report.GetProperty("reasons").EnumerateArray());
        Assert.Contains(report.GetProperty("scenarios").EnumerateArray(), s => s.GetProperty("name").GetString()!.StartsWith("a call ending")
            && s.GetProperty("checks")[0].GetProperty("name").GetString() == "skipped"); // the follow-up needs a throwaway portal's Twilio
        Assert.Equal(11, File.ReadAllLines(history).Length);
    }

    private static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo(PortalProcess.LoadToolBinary(), ["verify", .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}
