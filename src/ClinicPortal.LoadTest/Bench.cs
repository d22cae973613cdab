using System.Collections.Concurrent;
using System.Diagnostics;

namespace ClinicPortal.LoadTest;

/// <summary>
/// Drives a running portal's webhook over HTTP and prints throughput and p50/p95/p99 for uncontended
/// bookings across many slots, calls in progress, a fixed arrival rate, a spike (ten times the rate for 30 s)
/// and collision storms (5, 20 and 64 callers a slot), saturation again on the warm portal, then runs pgbench with the same
/// SQL the booking path sends and with the fixed reference (reference-booking.pgbench), for comparison. Each phase starts
/// once the portal has settled after the last (Settle). With --soak DURATION it runs a steady rate instead and prints latency and memory each minute.
/// </summary>
public static class Bench
{
    private static readonly string[] Providers = ["dr-patel", "dr-okafor", "dr-lewis"];

    public static async Task<int> RunAsync(Options o)
    {
        var url = o.Get("url", "http://127.0.0.1:5000");
        var secret = o.Get("secret", "riverside-demo-secret");
        var concurrency = int.Parse(o.Get("concurrency", "32"));
        var requests = int.Parse(o.Get("requests", "6000"));
        var stormSlots = int.Parse(o.Get("slots", "40"));
        var stormCallers = int.Parse(o.Get("callers", "64"));
        var firstDay = DateTime.UtcNow.Date.AddDays(60 + Random.Shared.Next(20000));
        var slots = Slots(firstDay).GetEnumerator();
        NextSlot Take = () => { slots.MoveNext(); return slots.Current; };

        using var webhook = new Webhook(url, secret, Math.Max(concurrency, stormCallers));
        Console.WriteLine($"Warming up ({url}): 300 bookings, and 3 slots with 5 callers each ...");
        await RunUncontendedAsync(webhook, Take, 300, concurrency);
        await StormAsync(webhook, Take, 3, 5, new List<double>()); // the losers' path too, or the first storm measures its first use
        var settle = new Settle(o.Get("portal-pid"));
        if (o.Get("soak") is { } soak) return await SoakAsync(webhook, Take, Duration(soak), int.Parse(o.Get("soak-rate", "50")), o.Get("portal-pid"));

        var profile = Profile.For(o);
        if (o.Get("paced-only") is { } pacedOnly)
        {
            // One open-loop rate and its profile, for A/B runs: --paced-only RATE [--paced-repeat N]. The first run also measures
            // this load generator's own first minute (its JIT); the runs after it measure a warm one (docs/performance.md, ninth round).
            var failedPaced = 0;
            var runs = int.Parse(o.Get("paced-repeat", "1"));
            var timing = new PortalTiming(profile.Superuser);
            var before = await timing.ReadAsync(); // with the warm-up written, so the first run counts only its own requests
            for (var run = 1; run <= runs; run++)
            {
                await settle.WaitAsync();
                await profile.ResetAsync();
                Console.WriteLine($"Paced{(runs > 1 ? $", run {run} of {runs}" : "")}: {pacedOnly} bookings/s on a fixed schedule for 10 s (open loop):");
                var (pacedStats, pacedFailed) = await RunPacedAsync(webhook, Take, int.Parse(pacedOnly), TimeSpan.FromSeconds(10));
                Console.WriteLine($"  {pacedStats}{pacedFailed}");
                var after = await timing.ReadAsync();
                if (PortalTiming.Describe(before, after) is { } own) Console.WriteLine($"  the portal's own timing: {own}");
                before = after;
                failedPaced += pacedFailed.Count;
            }
            await profile.PrintAsync(); // the last run's
            return failedPaced == 0 ? 0 : 1;
        }
        await settle.WaitAsync();
        await profile.ResetAsync();
        if (o.Get("storms-only") is not null) // for A/B runs of one change, back to back
        {
            var wrongStorms = await StormsAsync(webhook, Take, stormSlots, stormCallers);
            await profile.PrintAsync();
            return wrongStorms == 0 ? 0 : 1;
        }
        Console.WriteLine($"Saturation: {concurrency} clients booking back to back (no pause), every request a different slot:");
        var (uncontended, notBooked) = await RunUncontendedAsync(webhook, Take, requests, concurrency);
        Console.WriteLine($"  {uncontended}{notBooked}");
        await profile.PrintAsync();
        var failures = notBooked.Count;
        if (o.Get("saturation-only") is not null) return failures == 0 ? 0 : 1; // for A/B runs of one change, back to back
        await settle.WaitAsync();
        Console.WriteLine($"Saturation from one phone number: {concurrency} clients booking back to back, every request the same caller:");
        var (onePhone, onePhoneFailures) = await RunUncontendedAsync(webhook, Take, requests / 2, concurrency, _ => "+447701000001");
        Console.WriteLine($"  {onePhone}{onePhoneFailures}");
        failures += onePhoneFailures.Count;

        await settle.WaitAsync();
        Console.WriteLine($"{concurrency} calls in progress, each caller speaking 1-3 s between tool calls, for 20 s:");
        var (talking, talkingFailures) = await RunCallersAsync(webhook, Take, concurrency, TimeSpan.FromSeconds(20));
        Console.WriteLine($"  {talking}{talkingFailures}");
        failures += talkingFailures.Count;

        var rate = int.Parse(o.Get("rate", "200"));
        await settle.WaitAsync();
        Console.WriteLine($"Voice pace: {rate} bookings/s arriving on a fixed schedule for 10 s, whatever the answers' speed (open loop):");
        var (paced, pacedFailures) = await RunPacedAsync(webhook, Take, rate, TimeSpan.FromSeconds(10));
        Console.WriteLine($"  {paced}{pacedFailures}");
        failures += pacedFailures.Count;

        var spikeBase = Math.Max(1, rate / 10);
        await settle.WaitAsync();
        Console.WriteLine($"Spike: {spikeBase}/s for 10 s, then ten times that ({spikeBase * 10}/s) for 30 s, then {spikeBase}/s for 10 s (open loop):");
        foreach (var (phase, perSecond, seconds) in new[] { ("before", spikeBase, 10), ("spike", spikeBase * 10, 30), ("after", spikeBase, 10) })
        {
            var (stats, phaseFailures) = await RunPacedAsync(webhook, Take, perSecond, TimeSpan.FromSeconds(seconds));
            Console.WriteLine($"  {phase,-7}{stats}{phaseFailures}");
            failures += phaseFailures.Count;
        }

        await settle.WaitAsync();
        var wrong = await StormsAsync(webhook, Take, stormSlots, stormCallers);

        // The first saturation run is the portal's first minute: the runtime still recompiles its hot methods, and the
        // database plans for tables that were empty until autovacuum analyses them (docs/performance.md, seventh round).
        await settle.WaitAsync();
        Console.WriteLine($"Saturation again, on the warm portal (the first run's load):");
        var (warm, warmNotBooked) = await RunUncontendedAsync(webhook, Take, requests, concurrency);
        Console.WriteLine($"  {warm}{warmNotBooked}");
        failures += warmNotBooked.Count;
        await settle.WaitAsync();

        if (Options.AppConnection(o) is { } app && Options.OwnerConnection(o) is { } owner)
        {
            var (pg, mode) = await PgBench.RunAsync(app, owner, concurrency, TimeSpan.FromSeconds(int.Parse(o.Get("pgbench-seconds", "20"))));
            Console.WriteLine($"pgbench, the booking's SQL without HTTP, {concurrency} clients, the faster of two protocol modes ({mode}):");
            Console.WriteLine($"  {pg}");
            Console.WriteLine($"HTTP bookings/s (warm) as a share of pgbench's: {warm.PerSecond / pg.PerSecond:P0}");
            var seconds = TimeSpan.FromSeconds(int.Parse(o.Get("pgbench-seconds", "20")));
            var reference = await PgBench.RunReferenceAsync(app, owner, concurrency, seconds, phones: 99_999_999);
            var referenceOne = await PgBench.RunReferenceAsync(app, owner, concurrency, seconds, phones: 1);
            Console.WriteLine($"Reference (reference-booking.pgbench: every write of a voice booking as raw SQL, one transaction), {concurrency} clients:");
            Console.WriteLine($"  distinct numbers: {reference}");
            Console.WriteLine($"  one number:       {referenceOne}");
            Console.WriteLine($"Webhook bookings/s as a share of the reference: {warm.PerSecond / reference.PerSecond:P0} warm, " +
                $"{uncontended.PerSecond / reference.PerSecond:P0} in the first run (target: at least 60%)");
        }
        else Console.WriteLine("pgbench: skipped (give --db-info FILE with the portal's connection strings)");
        return failures == 0 && wrong == 0 ? 0 : 1;
    }

    /// <summary>Collision storms of 5, 20 and the given number of callers a slot; returns how many slots did not get exactly one booking.</summary>
    private static async Task<int> StormsAsync(Webhook webhook, NextSlot take, int stormSlots, int stormCallers)
    {
        var wrong = 0;
        foreach (var callers in new[] { 5, 20, stormCallers }.Distinct())
        {
            Console.WriteLine($"Collision storm, {callers} callers a slot, {stormSlots} slots one after another:");
            var latencies = new List<double>();
            var clock = Stopwatch.StartNew();
            var wrongHere = await StormAsync(webhook, take, stormSlots, callers, latencies);
            Console.WriteLine($"  {Stats.Of(latencies, clock.Elapsed)}; slots with exactly one booking: {stormSlots - wrongHere}/{stormSlots}");
            wrong += wrongHere;
        }
        return wrong;
    }

    /// <summary>Slots one after another, each asked for by all callers at once; returns how many did not get exactly one booking.</summary>
    private static async Task<int> StormAsync(Webhook webhook, NextSlot take, int slots, int callers, List<double> latencies)
    {
        var wrong = 0;
        for (var s = 0; s < slots; s++)
        {
            var (provider, date, time) = take();
            var answers = await Task.WhenAll(Enumerable.Range(0, callers).Select(i => webhook.BookAsync(provider, date, time, $"+4477010{i:D5}")));
            latencies.AddRange(answers.Select(a => a.Milliseconds));
            if (answers.Count(a => a.Status == "booked") != 1 || answers.Count(a => a.Status == "conflict") != callers - 1) wrong++;
        }
        return wrong;
    }

    /// <summary>The database's side of a run: pg_stat_statements (loaded in the embedded database), read as its superuser.</summary>
    private sealed class Profile(string? superuser)
    {
        public string? Superuser => superuser;

        public static Profile For(Options o) =>
            new(o.Get("data-dir") is { } dir && Options.AppConnection(o) is { } app
                ? $"Host={dir};Port={new Npgsql.NpgsqlConnectionStringBuilder(app).Port};Username=postgres;Database={new Npgsql.NpgsqlConnectionStringBuilder(app).Database};Pooling=false"
                : null);

        public async Task ResetAsync()
        {
            if (superuser is null) return;
            await using var conn = new Npgsql.NpgsqlConnection(superuser);
            await conn.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand("create extension if not exists pg_stat_statements; select pg_stat_statements_reset();", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        /// <summary>The statements that took the most time since the reset, with their share of it.</summary>
        public async Task PrintAsync(int top = 10)
        {
            if (superuser is null) return;
            await using var conn = new Npgsql.NpgsqlConnection(superuser);
            await conn.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand("""
                select calls, mean_exec_time, 100 * total_exec_time / sum(total_exec_time) over (), regexp_replace(query, '\s+', ' ', 'g')
                  from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
                 order by total_exec_time desc limit @top
                """, conn);
            cmd.Parameters.AddWithValue("top", top);
            await using var r = await cmd.ExecuteReaderAsync();
            Console.WriteLine($"  {"calls",8} {"mean ms",8} {"time %",7}  statement (pg_stat_statements)");
            while (await r.ReadAsync())
            {
                var query = r.GetString(3);
                Console.WriteLine($"  {r.GetInt64(0),8} {r.GetDouble(1),8:0.00} {r.GetDouble(2),7:0.0}  {(query.Length > 110 ? query[..110] + "…" : query)}");
            }
        }
    }

    /// <summary>
    /// The portal's own timing of a run's requests: its webhook histogram (WebhookLatency, written every 5 s), read before and
    /// after the run. It starts when a request reaches the portal's middleware and ends at its last byte, so what the load
    /// generator measures beyond it is spent in the kernel, in Kestrel before the middleware, and in the load generator.
    /// </summary>
    private sealed class PortalTiming(string? superuser)
    {
        private static readonly TimeSpan Flush = TimeSpan.FromSeconds(5.5); // WebhookLatency.FlushEvery, and a margin

        /// <summary>The histogram summed over clinics, once the portal has written what it holds; null without a database.</summary>
        public async Task<long[]?> ReadAsync()
        {
            if (superuser is null) return null;
            await Task.Delay(Flush);
            await using var conn = new Npgsql.NpgsqlConnection(superuser);
            await conn.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand("select counts from webhook_latency", conn);
            await using var r = await cmd.ExecuteReaderAsync();
            var sum = new long[64];
            while (await r.ReadAsync())
            {
                var counts = r.GetFieldValue<int[]>(0);
                for (var i = 0; i < Math.Min(counts.Length, sum.Length); i++) sum[i] += counts[i];
            }
            return sum;
        }

        /// <summary>p50 and p99 of the requests between two readings, as bucket upper bounds (LatencyHistogram: 0.1 ms × 1.2^i).</summary>
        public static string? Describe(long[]? before, long[]? after)
        {
            if (before is null || after is null) return null;
            var run = after.Zip(before, (a, b) => a - b).ToArray();
            var total = run.Sum();
            if (total == 0) return null;
            string At(double p)
            {
                long seen = 0, rank = (long)Math.Ceiling(p * total);
                for (var i = 0; i < run.Length; i++)
                    if ((seen += run[i]) >= rank) return $"≤{0.1 * Math.Pow(1.2, i):0.0} ms";
                return "more";
            }
            return $"{total} requests, p50 {At(0.50)}, p99 {At(0.99)}";
        }
    }

    private delegate (string Provider, string Date, string Time) NextSlot();

    /// <summary>
    /// Waits, before a phase, until the portal has done the background work the last phase left (its texts, audit seals, the
    /// runtime's recompiling of hot methods): until its process uses under 5 % of a core over a quarter of a second, for at
    /// most 30 s, and says how long that took. Without it a phase is measured against the last one's backlog (after
    /// saturation, about 4 s of texts on both cores). Needs --portal-pid; without it, does nothing.
    /// </summary>
    private sealed class Settle(string? portalPid)
    {
        public async Task WaitAsync()
        {
            if (portalPid is null || !File.Exists($"/proc/{portalPid}/stat")) return;
            var clock = Stopwatch.StartNew();
            var window = TimeSpan.FromMilliseconds(250);
            while (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                var before = CpuTicks();
                await Task.Delay(window);
                var after = CpuTicks();
                if (before is null || after is null) return; // the portal has gone: the next phase says so
                if ((after - before) * 10.0 < 0.05 * window.TotalMilliseconds) break; // ticks are 10 ms (USER_HZ 100)
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(0.5))
                Console.WriteLine($"  (the portal settled for {clock.Elapsed.TotalSeconds:0.0} s first: the last phase's background work)");
        }

        /// <summary>The portal's user and system CPU time so far, in clock ticks (/proc/PID/stat, fields 14 and 15); null once it has exited.</summary>
        private long? CpuTicks()
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{portalPid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return long.Parse(fields[11]) + long.Parse(fields[12]);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// The answers that were not "booked", by status. Every request of a run asks for a slot of its own, so a conflict there
    /// is a slot that an earlier run against the same portal booked (each run starts on a random day); anything else is a fault.
    /// </summary>
    private sealed class NotBooked
    {
        private readonly ConcurrentDictionary<string, int> _byStatus = new();

        public void Add(string status)
        {
            if (status != "booked") _byStatus.AddOrUpdate(status, 1, (_, n) => n + 1);
        }

        public int Count => _byStatus.Values.Sum();

        public override string ToString() => Count == 0 ? "" : $"  ({Count} not booked! by status: {string.Join(", ", _byStatus.OrderBy(x => x.Key).Select(x => $"{x.Value} {x.Key}"))})";
    }

    /// <summary>"10m", "90s", "1h" (a bare number is minutes).</summary>
    private static TimeSpan Duration(string text) => text[^1] switch
    {
        's' => TimeSpan.FromSeconds(double.Parse(text[..^1], System.Globalization.CultureInfo.InvariantCulture)),
        'h' => TimeSpan.FromHours(double.Parse(text[..^1], System.Globalization.CultureInfo.InvariantCulture)),
        'm' => TimeSpan.FromMinutes(double.Parse(text[..^1], System.Globalization.CultureInfo.InvariantCulture)),
        _ => TimeSpan.FromMinutes(double.Parse(text, System.Globalization.CultureInfo.InvariantCulture)),
    };

    /// <summary>
    /// A soak: bookings at a steady rate for a long time, a table row each minute with that minute's latency, and the
    /// portal's resident memory (from /proc, with --portal-pid) so a leak or a slow drift shows.
    /// </summary>
    private static async Task<int> SoakAsync(Webhook webhook, NextSlot take, TimeSpan duration, int perSecond, string? portalPid)
    {
        Console.WriteLine($"Soak: {perSecond} bookings/s for {duration.TotalMinutes:0.#} min, one row a minute:");
        Console.WriteLine($"  {"minute",6} {"requests",9} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"max ms",8} {"failed",7} {"RSS MB",8}");
        var failures = 0;
        for (var minute = 1; minute <= Math.Ceiling(duration.TotalMinutes); minute++)
        {
            var span = TimeSpan.FromMinutes(Math.Min(1, duration.TotalMinutes - (minute - 1)));
            var (stats, failed) = await RunPacedAsync(webhook, take, perSecond, span);
            failures += failed.Count;
            var rss = portalPid is not null && File.Exists($"/proc/{portalPid}/status")
                ? File.ReadLines($"/proc/{portalPid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:")) is { } line
                    ? (long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0).ToString("0") : "?"
                : "?";
            Console.WriteLine($"  {minute,6} {stats.Count,9} {stats.P50,8:0.0} {stats.P95,8:0.0} {stats.P99,8:0.0} {stats.Max,8:0.0} {failed.Count,7} {rss,8}");
        }
        return failures == 0 ? 0 : 1;
    }

    private static async Task<(Stats, NotBooked Failures)> RunUncontendedAsync(Webhook webhook, NextSlot take, int requests, int concurrency,
        Func<int, string>? phone = null)
    {
        var latencies = new ConcurrentBag<double>();
        var notBooked = new NotBooked();
        var remaining = requests;
        var gate = new object();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            while (true)
            {
                (string Provider, string Date, string Time) slot;
                lock (gate)
                {
                    if (remaining-- <= 0) return;
                    slot = take();
                }
                var a = await webhook.BookAsync(slot.Provider, slot.Date, slot.Time, phone?.Invoke(worker) ?? $"+4477{10 + worker:D2}{Random.Shared.Next(1000000):D6}");
                latencies.Add(a.Milliseconds);
                notBooked.Add(a.Status);
            }
        }));
        return (Stats.Of(latencies.ToList(), clock.Elapsed), notBooked);
    }

    /// <summary>Concurrent phone calls: each caller books, then talks (1-3 s) before the next tool call.</summary>
    private static async Task<(Stats, NotBooked Failures)> RunCallersAsync(Webhook webhook, NextSlot take, int callers, TimeSpan duration)
    {
        var latencies = new ConcurrentBag<double>();
        var notBooked = new NotBooked();
        var gate = new object();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async caller =>
        {
            await Task.Delay(Random.Shared.Next(1000, 3000)); // calls do not all start at once
            while (clock.Elapsed < duration)
            {
                (string Provider, string Date, string Time) slot;
                lock (gate) slot = take();
                var a = await webhook.BookAsync(slot.Provider, slot.Date, slot.Time, $"+44772{caller:D2}{Random.Shared.Next(100000):D5}");
                latencies.Add(a.Milliseconds);
                notBooked.Add(a.Status);
                await Task.Delay(Random.Shared.Next(1000, 3000));
            }
        }));
        return (Stats.Of(latencies.ToList(), clock.Elapsed), notBooked);
    }

    /// <summary>Requests start on a fixed schedule, as independent callers would, so latency is not capped by a closed loop.</summary>
    private static async Task<(Stats, NotBooked Failures)> RunPacedAsync(Webhook webhook, NextSlot take, int perSecond, TimeSpan duration)
    {
        var latencies = new ConcurrentBag<double>();
        var notBooked = new NotBooked();
        var total = (int)(perSecond * duration.TotalSeconds);
        var clock = Stopwatch.StartNew();
        var inFlight = new List<Task>(total);
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / perSecond);
            var wait = due - clock.Elapsed; // read once: the clock moves between a test and a second read
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            var slot = take();
            inFlight.Add(Task.Run(async () =>
            {
                var a = await webhook.BookAsync(slot.Provider, slot.Date, slot.Time, $"+44771{Random.Shared.Next(10000000):D7}");
                latencies.Add(a.Milliseconds);
                notBooked.Add(a.Status);
            }));
        }
        await Task.WhenAll(inFlight);
        return (Stats.Of(latencies.ToList(), clock.Elapsed), notBooked);
    }

    /// <summary>Every demo provider's 30-minute slots, Monday to Saturday 09:00-17:00, day after day.</summary>
    private static IEnumerable<(string, string, string)> Slots(DateTime from)
    {
        for (var day = from; ; day = day.AddDays(1))
        {
            if (day.DayOfWeek == DayOfWeek.Sunday) continue;
            for (var minutes = 9 * 60; minutes < 17 * 60; minutes += 30)
                foreach (var p in Providers)
                    yield return (p, day.ToString("yyyy-MM-dd"), $"{minutes / 60:D2}:{minutes % 60:D2}");
        }
    }
}
