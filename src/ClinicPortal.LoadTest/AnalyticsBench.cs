using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Npgsql;

namespace ClinicPortal.LoadTest;

/// <summary>
/// The analytics page on a year of data: fills the demo clinic riverside of a throwaway portal with --appointments (100,000)
/// appointments over the last year across ten more providers, one and a half calls per appointment with their tool calls,
/// texts, and hourly webhook figures; then signs in as demo staff and times the page (its server render, which runs every
/// query) and the CSV export for 7, 30, 90 and 365 days; then check_availability on that data.
/// </summary>
public static partial class AnalyticsBench
{
    public static async Task<int> RunAsync(Options o)
    {
        var url = o.Get("url", "http://127.0.0.1:5000");
        var owner = Options.OwnerConnection(o) ?? throw new InvalidOperationException("give --db-info FILE with the portal's connection strings");
        var appointments = int.Parse(o.Get("appointments", "100000"));
        var rounds = int.Parse(o.Get("rounds", "20"));

        // --availability-only against a portal this bench already filled: time check_availability again, nothing else.
        if (o.Get("availability-only") is not null) return await AvailabilityAsync(o, url, owner, seed: false);
        var seeding = Stopwatch.StartNew();
        await SeedAsync(owner, appointments);
        Console.WriteLine($"Seeded riverside with {appointments:N0} appointments over a year (and calls, tool calls, texts, hourly latency) in {seeding.Elapsed.TotalSeconds:0.0} s");

        // Cookies by hand: the portal marks them Secure, which HttpClient will not send over plain http to loopback.
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(url) };
        var page = await http.GetAsync("/sign-in");
        var post = new HttpRequestMessage(HttpMethod.Post, "/account/sign-in")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["email"] = o.Get("email", "staff@riverside.example"), ["password"] = o.Get("password", "demo-Password-1"), ["returnUrl"] = "/",
                ["__RequestVerificationToken"] = Token().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value,
            }),
        };
        post.Headers.Add("Cookie", Cookies(page));
        var signIn = await http.SendAsync(post);
        if (signIn.StatusCode != HttpStatusCode.Redirect || signIn.Headers.Location?.OriginalString.Contains("sign-in") == true)
        {
            Console.Error.WriteLine($"analytics-bench: could not sign in as demo staff ({signIn.StatusCode})");
            return 2;
        }
        http.DefaultRequestHeaders.Add("Cookie", Cookies(signIn));

        Console.WriteLine($"Analytics page (server render with every query) and CSV export, {rounds} requests each after one warm-up:");
        Console.WriteLine("| range | page p50 | page p95 | page max | csv p50 | csv p95 |");
        Console.WriteLine("|---|---|---|---|---|---|");
        var today = DateTime.UtcNow.Date;
        foreach (var days in new[] { 7, 30, 90, 365 })
        {
            var pageUrl = days == 365
                ? $"/analytics?range=custom&from={today.AddDays(-364):yyyy-MM-dd}&to={today:yyyy-MM-dd}"
                : $"/analytics?range={days}";
            var csvUrl = $"/api/analytics.csv?table=days&from={today.AddDays(1 - days):yyyy-MM-dd}&to={today:yyyy-MM-dd}";
            var pageTimes = Stats.Of(await TimeAsync(http, pageUrl, rounds), TimeSpan.FromSeconds(1));
            var csvTimes = Stats.Of(await TimeAsync(http, csvUrl, rounds), TimeSpan.FromSeconds(1));
            Console.WriteLine($"| {days} days | {pageTimes.P50:0} ms | {pageTimes.P95:0} ms | {pageTimes.Max:0} ms | {csvTimes.P50:0} ms | {csvTimes.P95:0} ms |");
        }
        return await AvailabilityAsync(o, url, owner, seed: true);
    }

    /// <summary>
    /// Issue 13's availability goal on the same year of data: the next 60 days booked three slots in four for the ten bench
    /// providers, then check_availability for a random provider and day, one call at a time as a voice call makes them.
    /// </summary>
    private static async Task<int> AvailabilityAsync(Options o, string url, string owner, bool seed)
    {
        if (seed) await using (var conn = new NpgsqlConnection(owner + ";Command Timeout=600"))
        {
            await conn.OpenAsync();
            await using var tx = await conn.BeginTransactionAsync();
            await using var cmd = new NpgsqlCommand("""
                select set_config('app.clinic_id', (select id from clinics where slug = 'riverside')::text, true);
                insert into appointments (clinic_id, provider_id, patient_id, starts_at, ends_at, blocked_until, status, confirmation_code, source, created_by)
                select current_clinic_id(), p.id, (select id from patients where name = 'Bench Patient 1'), t.at, t.at + interval '20 minutes',
                       t.at + interval '20 minutes', 'confirmed', 'F' || upper(lpad(to_hex(row_number() over ()), 7, '0')), 'staff', 'bench'
                  from providers p, generate_series(1, 60) d, generate_series(0, 29) k,
                       lateral (select ((current_date + d) + time '08:00' + make_interval(mins => 20 * k)) at time zone 'Europe/London' as at) t
                 where p.slug like 'bench-%' and k % 4 <> 0;
                analyze appointments;
                """, conn, tx);
            await cmd.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }
        using var webhook = new Webhook(url, o.Get("secret", "riverside-demo-secret"), 1);
        var rounds = int.Parse(o.Get("availability-rounds", "500"));
        for (var i = 0; i < 20; i++) await webhook.ToolAsync("check_availability", new { provider = "bench-1", date = DateTime.UtcNow.AddDays(2).ToString("yyyy-MM-dd") });
        var times = new List<double>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < rounds; i++)
        {
            var answer = await webhook.ToolAsync("check_availability", new
            {
                provider = $"bench-{1 + Random.Shared.Next(10)}", date = DateTime.UtcNow.AddDays(1 + Random.Shared.Next(60)).ToString("yyyy-MM-dd"),
            });
            if (answer.Status != "ok") Console.WriteLine($"  unexpected answer: {answer.Status}");
            times.Add(answer.Milliseconds);
        }
        Console.WriteLine($"check_availability through the webhook, one call at a time, ten providers with a year behind and 60 days ahead booked:");
        Console.WriteLine($"  {Stats.Of(times, clock.Elapsed)}");
        return 0;
    }

    private static async Task<List<double>> TimeAsync(HttpClient http, string path, int rounds)
    {
        (await http.GetAsync(path)).EnsureSuccessStatusCode(); // warm-up
        var times = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(path);
            await response.Content.ReadAsByteArrayAsync();
            response.EnsureSuccessStatusCode();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        return times;
    }

    /// <summary>A year of a busy clinic, written as the owner within riverside (row-level security applies to it too).</summary>
    private static async Task SeedAsync(string ownerConnection, int appointments)
    {
        await using var conn = new NpgsqlConnection(ownerConnection + ";Command Timeout=600");
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        async Task Run(string sql)
        {
            await using var cmd = new NpgsqlCommand(sql, conn, tx);
            await cmd.ExecuteNonQueryAsync();
        }
        await Run("select set_config('app.clinic_id', (select id from clinics where slug = 'riverside')::text, true)");
        await Run("""
            insert into providers (clinic_id, slug, name, specialty)
            select current_clinic_id(), 'bench-' || p, 'Bench Provider ' || p, 'General' from generate_series(1, 10) p;
            insert into working_hours (clinic_id, provider_id, weekday, starts_at, ends_at)
            select current_clinic_id(), id, d, '08:00', '18:00' from providers, generate_series(1, 7) d where slug like 'bench-%';
            insert into patients (clinic_id, name, phone)
            select current_clinic_id(), 'Bench Patient ' || i, '+4477009' || lpad(i::text, 5, '0') from generate_series(1, 5000) i;
            """);
        // Ten providers, every day of the last year, back to back 20-minute appointments from 08:00 clinic time.
        await Run($"""
            with p as (select id, row_number() over (order by slug) as n from providers where slug like 'bench-%'),
                 pt as (select array_agg(id) as ids from patients where name like 'Bench Patient %'),
                 s as (select p.id as provider_id, d, k, row_number() over () as n
                         from p, generate_series(0, 364) d, generate_series(0, 29) k limit {appointments})
            insert into appointments (clinic_id, provider_id, patient_id, starts_at, ends_at, blocked_until, status, confirmation_code, source, created_by, created_at)
            select current_clinic_id(), s.provider_id, pt.ids[1 + (s.n % 5000)],
                   t.at, t.at + interval '20 minutes', t.at + interval '20 minutes',
                   (case when s.n % 100 < 8 then 'cancelled' when s.n % 100 < 13 then 'no_show' when s.n % 100 < 90 then 'completed' else 'confirmed' end)::appointment_status,
                   'B' || upper(lpad(to_hex(s.n), 7, '0')), (case when s.n % 3 = 0 then 'staff' else 'voice' end)::appointment_source, 'bench', t.at - interval '3 days'
              from s, pt,
                   lateral (select ((current_date - 364 + s.d) + time '08:00' + make_interval(mins => 20 * s.k)) at time zone 'Europe/London' as at) t;
            """);
        // One and a half calls per appointment; most reach a tool, two in three of those book, a few lose a race.
        await Run($$"""
            insert into calls (clinic_id, call_id, status, started_at, ended_at, created_at)
            select current_clinic_id(), 'bench-' || i, 'ended', t.at, t.at + interval '3 minutes', t.at
              from generate_series(1, {{appointments * 3 / 2}}) i,
                   lateral (select now() - make_interval(secs => (i::bigint * 7919 % (365 * 86400))::int) as at) t;
            insert into tool_calls (clinic_id, tool_call_id, call_id, tool_name, result, created_at)
            select current_clinic_id(), c.call_id || '-' || k, c.call_id, case when k = 1 then 'check_availability' else 'book_appointment' end,
                   case when k = 1 then '{"status":"ok"}' when h % 20 = 0 then '{"status":"conflict"}' else '{"status":"booked"}' end,
                   c.created_at + make_interval(secs => 30 * k)
              from (select call_id, created_at, abs(hashtext(call_id)) as h from calls where call_id like 'bench-%') c,
                   generate_series(1, 2) k
             where c.h % 10 < 9 and (k = 1 or c.h % 3 <> 0);
            insert into sms_messages (clinic_id, kind, dedupe_key, ref, to_phone, body, status, created_by, created_at)
            select current_clinic_id(), 'follow_up', 'bench-' || i, 'bench-' || i, '+447700900001', '[removed after 90 days]',
                   case when i % 20 = 0 then 'failed' when i % 10 = 0 then 'sent' else 'delivered' end, 'bench',
                   now() - make_interval(secs => (i::bigint * 104729 % (365 * 86400))::int)
              from generate_series(1, {{appointments / 2}}) i;
            insert into webhook_latency_hourly (clinic_id, hour, counts, tool_calls, tool_failures)
            select current_clinic_id(), date_trunc('hour', now()) - make_interval(hours => h),
                   (select array_agg(case when b between 40 and 46 then 10 + (h + b) % 7 else 0 end order by b) from generate_series(0, 63) b), 40, h % 2
              from generate_series(1, 365 * 24) h;
            """);
        await tx.CommitAsync();
        await using var analyze = new NpgsqlCommand("analyze", conn);
        await analyze.ExecuteNonQueryAsync();
    }

    private static string Cookies(HttpResponseMessage response) =>
        string.Join("; ", response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Select(v => v.Split(';')[0]) : []);

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
