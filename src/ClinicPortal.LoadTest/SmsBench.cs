using ClinicPortal.TestSupport;
using System.Diagnostics;
using System.Net.Http.Json;

namespace ClinicPortal.LoadTest;

/// <summary>
/// Report-to-SMS latency: a throwaway portal sends through the loopback fake Twilio started here; each
/// call's end-of-call report (no booking) is timed from the moment we send it to the moment Twilio
/// receives the text. Both ends are in this process, so one clock measures both.
/// </summary>
public static class SmsBench
{
    public static async Task<int> RunAsync(Options o)
    {
        var calls = int.Parse(o.Get("calls", "300"));
        var rate = double.Parse(o.Get("rate", "20"), System.Globalization.CultureInfo.InvariantCulture);
        await using var twilio = await FakeTwilio.StartAsync();
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
                ["RateLimits__Webhook__PermitsPerSecond"] = "1000000", // measure the texts, not the per-credential limit
                ["RateLimits__Webhook__Burst"] = "1000000",
            },
        };
        using var portal = Process.Start(psi)!;
        portal.OutputDataReceived += (_, _) => { };
        portal.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("portal: " + e.Data); };
        portal.BeginOutputReadLine();
        portal.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            for (var i = 0; !(await Ready(http)); i++)
            {
                if (portal.HasExited || i > 600) throw new InvalidOperationException("the portal did not start");
                await Task.Delay(200);
            }
            http.DefaultRequestHeaders.Authorization = new("Bearer", o.Get("secret", "riverside-demo-secret"));

            // A few unmeasured calls first (connection pools, JIT, prepared statements).
            await RunCallsAsync(http, twilio, 20, rate, "+4477015");
            Console.WriteLine($"report-to-SMS: {calls} calls ending without a booking, {rate:0.#} a second, each report's text timed to Twilio's receipt");
            var started = Stopwatch.StartNew();
            var (latencies, reportMs) = await RunCallsAsync(http, twilio, calls, rate, "+4477016");
            Console.WriteLine($"  report webhook answered:      {Stats.Of(reportMs, started.Elapsed)}");
            Console.WriteLine($"  report sent -> Twilio has it: {Stats.Of(latencies, started.Elapsed)}");
            Console.WriteLine($"  target: under 1 s (the old system promised 5 s)");
            return 0;
        }
        finally
        {
            // A graceful stop, so the portal stops the embedded database it started.
            if (!portal.HasExited)
            {
                using var term = Process.Start("kill", ["-TERM", portal.Id.ToString()]);
                await term.WaitForExitAsync();
            }
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await portal.WaitForExitAsync(grace.Token); }
            catch (OperationCanceledException) { portal.Kill(entireProcessTree: true); }
        }
    }

    private static async Task<bool> Ready(HttpClient http)
    {
        try { return (await http.GetAsync("/health/ready")).IsSuccessStatusCode; }
        catch (HttpRequestException) { return false; }
    }

    private static async Task<(List<double> Latencies, List<double> ReportMs)> RunCallsAsync(HttpClient http, FakeTwilio twilio, int calls, double rate,
        string prefix)
    {
        var latencies = new List<double>();
        var reportMs = new List<double>();
        var tasks = new List<Task>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            var due = TimeSpan.FromSeconds(i / rate);
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed);
            var phone = prefix + (i % 100_000).ToString("D5");
            tasks.Add(Task.Run(async () =>
            {
                var sent = Stopwatch.GetTimestamp();
                var response = await http.PostAsJsonAsync("/api/vapi/webhook", new
                {
                    message = new
                    {
                        type = "end-of-call-report", endedReason = "customer-ended-call",
                        call = new { id = "bench-" + Guid.NewGuid().ToString("N"), customer = new { number = phone } },
                        analysis = new { summary = "Asked about anti-wrinkle prices.", structuredData = new { procedure = "botox" } },
                    },
                });
                var answered = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                response.EnsureSuccessStatusCode();
                var text = (await twilio.WaitForAsync(phone, seconds: 30))[^1];
                lock (latencies)
                {
                    reportMs.Add(answered);
                    latencies.Add(Stopwatch.GetElapsedTime(sent, text.Timestamp).TotalMilliseconds);
                }
            }));
        }
        await Task.WhenAll(tasks);
        return (latencies, reportMs);
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }
}
