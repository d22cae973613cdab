using System.Diagnostics;
using ClinicPortal.TestSupport;

namespace ClinicPortal.LoadTest;

/// <summary>
/// A portal of its own for a tool run: the built binary in demo mode on a fresh embedded database (--data-dir), sending
/// texts to a loopback fake Twilio started here, with the per-credential webhook limit raised (a tool measures the
/// portal, not the limit). Stopped gracefully, so it stops the database it started.
/// </summary>
public sealed class ThrowawayPortal : IAsyncDisposable
{
    private readonly Process _process;

    private ThrowawayPortal(Process process, string url, FakeTwilio twilio) => (_process, Url, Twilio) = (process, url, twilio);

    public string Url { get; }
    public FakeTwilio Twilio { get; }

    public static async Task<ThrowawayPortal> StartAsync(Options o)
    {
        var twilio = await FakeTwilio.StartAsync();
        var url = $"http://127.0.0.1:{FreePort()}";
        var psi = new ProcessStartInfo(o.Get("portal-bin")!, ["--demo", "--urls", url, "--contentRoot", o.Get("content-root")!])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
            Environment =
            {
                ["Database__DataDirectory"] = o.Get("data-dir")!,
                ["Logging__LogLevel__Default"] = "Warning",
                ["Twilio__BaseUrl"] = twilio.BaseUrl,
                ["Twilio__AccountSid"] = FakeTwilio.AccountSid,
                ["Twilio__AuthToken"] = FakeTwilio.AuthToken,
                ["Twilio__FromNumber"] = FakeTwilio.FromNumber,
                ["RateLimits__Webhook__PermitsPerSecond"] = "1000000",
                ["RateLimits__Webhook__Burst"] = "1000000",
                ["RateLimits__WebhookUnauthenticated__PerIpPerMinute"] = "1000000",
            },
        };
        var process = Process.Start(psi)!;
        // Its log (warnings and errors only) goes to standard error: a NO-GO's 5xx shows its cause there.
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("portal: " + e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("portal: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var portal = new ThrowawayPortal(process, url, twilio);
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        for (var i = 0; !await ReadyAsync(http); i++)
        {
            if (process.HasExited || i > 600)
            {
                await portal.DisposeAsync();
                throw new InvalidOperationException("the portal did not start");
            }
            await Task.Delay(200);
        }
        return portal;
    }

    public static async Task<bool> ReadyAsync(HttpClient http)
    {
        try { return (await http.GetAsync("/health/ready")).IsSuccessStatusCode; }
        catch (HttpRequestException) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using var term = Process.Start("kill", ["-TERM", _process.Id.ToString()]);
            await term.WaitForExitAsync();
        }
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try { await _process.WaitForExitAsync(grace.Token); }
        catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        _process.Dispose();
        await Twilio.DisposeAsync();
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }
}
