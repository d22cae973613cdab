using System.Net.Http.Headers;
using System.Net.Http.Json;
using ClinicPortal.Features.Alerts;
using ClinicPortal.Features.Clinics;
using ClinicPortal.Features.Latency;
using ClinicPortal.Features.Staff;
using ClinicPortal.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ClinicPortal.Tests.Operations;

/// <summary>
/// A portal on a database of its own, its alert monitor run by hand (never on a timer), with an SMTP server on loopback.
/// Each test watches a clinic of its own whose admin gave an alert mobile.
/// </summary>
public sealed class AlertFixture : IAsyncLifetime
{
    public OwnDatabase Db { get; private set; } = null!;
    public WebApplicationFactory<Program> Portal { get; private set; } = null!;
    public FakeSmtp Smtp { get; } = new();

    public AlertMonitor Monitor => Portal.Services.GetRequiredService<AlertMonitor>();
    public AlertStore Store => Portal.Services.GetRequiredService<AlertStore>();

    public async Task InitializeAsync()
    {
        Db = await TestDatabase.OwnDatabaseAsync("alerts");
        Portal = Settings(Db, Smtp);
        Portal.CreateClient().Dispose(); // started: migrated
    }

    public static WebApplicationFactory<Program> Settings(OwnDatabase db, FakeSmtp smtp) => db.TestPortal(
        ("Smtp:Host", "127.0.0.1"), ("Smtp:Port", smtp.Port.ToString()), ("Smtp:Security", "None"), ("Smtp:From", "alerts@clinic.test"));

    /// <summary>A clinic open around the clock (one provider, every day 00:00-23:59) whose admin gets alerts at +447700100123.</summary>
    public async Task<(Guid Id, string Secret, string AdminEmail)> ClinicAsync()
    {
        var slug = "w-" + Guid.NewGuid().ToString("N")[..10];
        var secret = "secret-" + slug;
        var clinic = await ClinicSetup.EnsureClinicAsync(Db.Owner, new ClinicSpec(slug, "Watched " + slug, "Europe/London", "+442079460999", 0,
            [new ProviderSpec("dr-a", "Dr A", "General", Dates.AroundTheClock)], [], [secret]));
        var email = $"boss-{slug}@example.com";
        await StaffAccounts.EnsureAsync(Db.Owner, slug, email, "Boss", "correct-horse-battery-staple-9", "admin");
        await using var su = new NpgsqlConnection(Db.Superuser);
        var admin = await su.ScalarAsync<Guid>("select id from staff_users where email = @email", new { email });
        Assert.Null(await Store.SetAlertPhoneAsync(clinic, admin, "07700 100123", "staff:" + email));
        return (clinic, secret, email);
    }

    public async Task<long> CountAsync(string sql, object args)
    {
        await using var su = new NpgsqlConnection(Db.Superuser);
        return await su.ScalarAsync<long>(sql, args);
    }

    public async Task ExecAsync(string sql, object args)
    {
        await using var su = new NpgsqlConnection(Db.Superuser);
        await su.ExecAsync(sql, args);
    }

    public async Task DisposeAsync()
    {
        await Portal.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}

/// <summary>Every rule fires on what it watches and resolves when that is fixed; each change is recorded, audited, live and sent.</summary>
public sealed class AlertTests(AlertFixture f) : IClassFixture<AlertFixture>
{
    private async Task<AlertReading> EvaluateAsync(Guid clinic, string rule) =>
        (await f.Monitor.EvaluateAsync(clinic)).Single(r => r.Rule == rule);

    private Task<long> FiringAsync(Guid clinic, string rule) =>
        f.CountAsync("select count(*) from alerts where clinic_id = @clinic and rule = @rule and resolved_at is null", new { clinic, rule });

    private Task<long> ResolvedAsync(Guid clinic, string rule) =>
        f.CountAsync("select count(*) from alerts where clinic_id = @clinic and rule = @rule and resolved_at is not null", new { clinic, rule });

    [Fact]
    public async Task Slow_webhooks_fire_once_are_audited_live_texted_and_emailed_and_resolve_when_fast_again()
    {
        var (clinic, _, email) = await f.ClinicAsync();
        // 20 requests in the last minutes: 19 at about 800 ms, so the p95 is far over 500 ms.
        var slow = new int[LatencyHistogram.Buckets];
        slow[LatencyHistogram.BucketOf(800)] = 19;
        slow[LatencyHistogram.BucketOf(20)] = 1;
        await f.ExecAsync("insert into webhook_latency (clinic_id, bucket_start, instance, counts) values (@clinic, now() - interval '1 minute', 'test', @slow)",
            new { clinic, slow });

        var fired = await EvaluateAsync(clinic, AlertRules.WebhookP95);
        Assert.True(fired.Firing);
        Assert.InRange(fired.Value!.Value, 800, 1000); // a bucket's upper bound
        Assert.Equal(1, await FiringAsync(clinic, AlertRules.WebhookP95));
        Assert.Equal(1, await f.CountAsync("select count(*) from audit_log where clinic_id = @clinic and action = 'alert.fired' and actor = 'system:alerts' and detail ->> 'rule' = 'webhook_p95'", new { clinic }));
        Assert.Equal(1, await f.CountAsync("select count(*) from events where clinic_id = @clinic and kind = 'alert' and payload ->> 'state' = 'firing'", new { clinic }));
        Assert.Equal(1, await f.CountAsync("select count(*) from sms_messages where clinic_id = @clinic and kind = 'alert' and to_phone = '+447700100123'", new { clinic }));
        var mail = await WaitForMailAsync(email);
        Assert.Contains("Slow webhook", mail.Data);
        Assert.Single(await f.Store.FiringAsync(clinic));

        // Still slow: still one alert, no second text.
        Assert.True((await EvaluateAsync(clinic, AlertRules.WebhookP95)).Firing);
        Assert.Equal(1, await f.CountAsync("select count(*) from alerts where clinic_id = @clinic", new { clinic }));

        // Fast again (the slow minute is out of the window): resolved, audited, live.
        await f.ExecAsync("delete from webhook_latency where clinic_id = @clinic", new { clinic });
        Assert.False((await EvaluateAsync(clinic, AlertRules.WebhookP95)).Firing);
        Assert.Equal(0, await FiringAsync(clinic, AlertRules.WebhookP95));
        Assert.Equal(1, await f.CountAsync("select count(*) from audit_log where clinic_id = @clinic and action = 'alert.resolved' and detail ->> 'rule' = 'webhook_p95'", new { clinic }));
        Assert.Equal(1, await f.CountAsync("select count(*) from events where clinic_id = @clinic and kind = 'alert' and payload ->> 'state' = 'resolved'", new { clinic }));
        Assert.Empty(await f.Store.FiringAsync(clinic));

        // Flapping: it fires again within the hour, and is recorded, but nobody gets a second text.
        await f.ExecAsync("insert into webhook_latency (clinic_id, bucket_start, instance, counts) values (@clinic, now(), 'test', @slow)", new { clinic, slow });
        Assert.True((await EvaluateAsync(clinic, AlertRules.WebhookP95)).Firing);
        Assert.Equal(2, await f.CountAsync("select count(*) from alerts where clinic_id = @clinic", new { clinic }));
        Assert.Equal(1, await f.CountAsync("select count(*) from sms_messages where clinic_id = @clinic and kind = 'alert'", new { clinic }));
    }

    [Fact]
    public async Task Failed_tool_calls_counted_from_real_webhook_requests_fire_over_one_percent_and_resolve_under_it()
    {
        var (clinic, secret, _) = await f.ClinicAsync();
        using var client = f.Portal.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        (await client.PostAsJsonAsync("/api/vapi/webhook", TestClinic.ToolCallsMessage("no_such_tool", new { }, TestClinic.NewToolCallId()))).EnsureSuccessStatusCode();
        await f.Portal.Services.GetRequiredService<WebhookLatency>().FlushAsync();

        var fired = await EvaluateAsync(clinic, AlertRules.ToolFailures);
        Assert.True(fired.Firing);
        Assert.Equal(100m, fired.Value);

        // 120 answered calls, in messages of 30: 1 failure in 121 is under 1%.
        for (var m = 0; m < 4; m++)
        {
            var calls = Enumerable.Range(0, 30).Select(_ => new { id = TestClinic.NewToolCallId(), type = "function",
                function = new { name = "lookup_procedure", arguments = new { query = "anything" } } }).ToArray();
            (await client.PostAsJsonAsync("/api/vapi/webhook", new { message = new { type = "tool-calls", call = new { id = "c1" }, toolCallList = calls } }))
                .EnsureSuccessStatusCode();
        }
        await f.Portal.Services.GetRequiredService<WebhookLatency>().FlushAsync();

        var quiet = await EvaluateAsync(clinic, AlertRules.ToolFailures);
        Assert.False(quiet.Firing);
        Assert.Equal(0.8m, quiet.Value);
        Assert.Equal(1, await ResolvedAsync(clinic, AlertRules.ToolFailures));
    }

    [Fact]
    public async Task Failing_texts_and_a_text_stuck_in_the_outbox_fire_and_resolve()
    {
        var (clinic, _, _) = await f.ClinicAsync();
        // Ten texts this hour, one failed (10%, over 5%); one more waiting 10 minutes, its next try not due (the dispatcher leaves it).
        await f.ExecAsync("""
            insert into sms_messages (clinic_id, kind, dedupe_key, ref, to_phone, body, status, created_by, created_at)
            select @clinic, 'follow_up', 'k' || i, 'r' || i, '+447700100101', 'About lip filler', case when i = 1 then 'failed' else 'delivered' end,
                   'vapi', now() - interval '10 minutes' from generate_series(1, 10) i;
            insert into sms_messages (clinic_id, kind, dedupe_key, ref, to_phone, body, status, created_by, created_at, next_attempt_at)
            values (@clinic, 'follow_up', 'stuck', 'stuck', '+447700100102', 'About lip filler', 'queued', 'vapi', now() - interval '10 minutes',
                    now() + interval '1 hour');
            """, new { clinic });

        var readings = await f.Monitor.EvaluateAsync(clinic);
        Assert.True(readings.Single(r => r.Rule == AlertRules.TextFailures).Firing);
        Assert.Equal(10m, readings.Single(r => r.Rule == AlertRules.TextFailures).Value);
        Assert.True(readings.Single(r => r.Rule == AlertRules.TextQueue).Firing);
        Assert.Equal(1, await FiringAsync(clinic, AlertRules.TextFailures));
        Assert.Equal(1, await FiringAsync(clinic, AlertRules.TextQueue));

        await f.ExecAsync("update sms_messages set status = 'delivered' where clinic_id = @clinic and kind = 'follow_up'", new { clinic });
        readings = await f.Monitor.EvaluateAsync(clinic);
        Assert.False(readings.Single(r => r.Rule == AlertRules.TextFailures).Firing);
        Assert.False(readings.Single(r => r.Rule == AlertRules.TextQueue).Firing);
        Assert.Equal(1, await ResolvedAsync(clinic, AlertRules.TextFailures));
        Assert.Equal(1, await ResolvedAsync(clinic, AlertRules.TextQueue));
    }

    [Fact]
    public async Task An_assistant_silent_for_two_opening_hours_fires_and_its_next_tool_call_resolves_it()
    {
        var (clinic, _, _) = await f.ClinicAsync();
        Assert.False((await EvaluateAsync(clinic, AlertRules.AssistantSilent)).Firing); // never called yet: not "gone" silent

        await f.ExecAsync("insert into tool_calls (clinic_id, tool_call_id, tool_name, result, created_at) values (@clinic, 'old', 'lookup_procedure', '{\"status\":\"ok\"}', now() - interval '3 hours')",
            new { clinic });
        var fired = await EvaluateAsync(clinic, AlertRules.AssistantSilent);
        Assert.True(fired.Firing);
        Assert.Equal(2m, fired.Value); // counting stops at the threshold

        await f.ExecAsync("insert into tool_calls (clinic_id, tool_call_id, tool_name, result) values (@clinic, 'new', 'lookup_procedure', '{\"status\":\"ok\"}')",
            new { clinic });
        Assert.False((await EvaluateAsync(clinic, AlertRules.AssistantSilent)).Firing);
        Assert.Equal(1, await ResolvedAsync(clinic, AlertRules.AssistantSilent));
    }

    [Fact]
    public void Only_opening_hours_count_towards_silence()
    {
        // Open Monday to Friday 09:00-17:00 in London. Friday 16:00 to Monday 10:00 (winter, UTC = local) is 2 opening hours.
        var hours = Enumerable.Range(1, 5).Select(d => (d, new TimeOnly(9, 0), new TimeOnly(17, 0))).ToList();
        var friday = new DateTime(2026, 12, 4, 16, 0, 0, DateTimeKind.Utc);
        var monday = new DateTime(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc);
        Assert.Equal(2.0, AlertMonitor.OpeningHoursBetween(friday, monday, "Europe/London", hours, enough: 10));
        Assert.Equal(0.0, AlertMonitor.OpeningHoursBetween(friday.AddHours(2), monday.AddHours(-2), "Europe/London", hours, enough: 10)); // the weekend
        Assert.Equal(0.0, AlertMonitor.OpeningHoursBetween(friday, monday, "Europe/London", [], enough: 10)); // no hours at all
    }

    [Fact]
    public async Task A_stuck_audit_sealer_fires_and_resolves_once_it_has_caught_up()
    {
        var (clinic, _, _) = await f.ClinicAsync();
        await using var blocker = new NpgsqlConnection(f.Db.Superuser);
        await blocker.OpenAsync();
        await using (var tx = await blocker.BeginTransactionAsync())
        {
            // The sealer cannot write a seal while this lock is held: an entry written 10 minutes ago waits.
            await blocker.ExecAsync("lock table audit_seals in exclusive mode", tx: tx);
            await f.ExecAsync("insert into audit_log (clinic_id, occurred_at, actor, action, subject_type, subject_id) values (@clinic, now() - interval '10 minutes', 'test', 'test.old', 'clinic', 'x')",
                new { clinic });
            var fired = await EvaluateAsync(clinic, AlertRules.SealerLag);
            Assert.True(fired.Firing);
            Assert.True(fired.Value >= 10m);
            await tx.RollbackAsync();
        }
        await WaitUntilAsync(async () => await f.CountAsync("""
            select count(*) from audit_log a
             where a.clinic_id = @clinic and not exists (select 1 from audit_seals s where s.clinic_id = a.clinic_id and s.audit_id = a.id)
            """, new { clinic }) == 0);
        Assert.False((await EvaluateAsync(clinic, AlertRules.SealerLag)).Firing);
        Assert.Equal(1, await ResolvedAsync(clinic, AlertRules.SealerLag));
    }

    [Fact]
    public async Task Rules_are_the_clinics_own_audited_and_checked_and_a_rule_turned_off_resolves()
    {
        var (clinic, _, _) = await f.ClinicAsync();
        var rules = await f.Store.RulesAsync(clinic);
        Assert.Equal(AlertRules.All.Count, rules.Count);
        Assert.Equal(500m, rules.Single(r => r.Rule == AlertRules.WebhookP95).Threshold);

        Assert.Contains("percentage", await f.Store.SaveRulesAsync(clinic, [.. rules.Select(r => r.Rule == AlertRules.ToolFailures ? r with { Threshold = 150 } : r)], "staff:x"));
        Assert.Contains("window", await f.Store.SaveRulesAsync(clinic, [.. rules.Select(r => r.Rule == AlertRules.WebhookP95 ? r with { WindowMinutes = 0 } : r)], "staff:x"));
        Assert.Equal(0, await f.CountAsync("select count(*) from alert_rules where clinic_id = @clinic", new { clinic }));

        // A lower threshold makes a modest p95 fire; turning the rule off resolves it.
        var modest = new int[LatencyHistogram.Buckets];
        modest[LatencyHistogram.BucketOf(300)] = 10;
        await f.ExecAsync("insert into webhook_latency (clinic_id, bucket_start, instance, counts) values (@clinic, now(), 'test', @modest)", new { clinic, modest });
        Assert.False((await EvaluateAsync(clinic, AlertRules.WebhookP95)).Firing);
        Assert.Null(await f.Store.SaveRulesAsync(clinic, [.. rules.Select(r => r.Rule == AlertRules.WebhookP95 ? r with { Threshold = 200 } : r)], "staff:boss"));
        Assert.Equal(1, await f.CountAsync("select count(*) from audit_log where clinic_id = @clinic and action = 'alert.rules_changed' and detail -> 'webhook_p95' -> 'to' ->> 'Threshold' = '200'", new { clinic }));
        Assert.True((await EvaluateAsync(clinic, AlertRules.WebhookP95)).Firing);
        Assert.Null(await f.Store.SaveRulesAsync(clinic, [.. (await f.Store.RulesAsync(clinic)).Select(r => r.Rule == AlertRules.WebhookP95 ? r with { Enabled = false } : r)], "staff:boss"));
        Assert.False((await EvaluateAsync(clinic, AlertRules.WebhookP95)).Firing);
        Assert.Equal(1, await ResolvedAsync(clinic, AlertRules.WebhookP95));
    }

    [Fact]
    public async Task An_alert_mobile_must_be_a_mobile_and_only_for_someone_of_the_clinic()
    {
        var (clinic, _, email) = await f.ClinicAsync();
        await using var su = new NpgsqlConnection(f.Db.Superuser);
        var admin = await su.ScalarAsync<Guid>("select id from staff_users where email = @email", new { email });
        Assert.Equal("+447700100123", await f.Store.AlertPhoneAsync(clinic, admin));
        Assert.Contains("not a mobile", await f.Store.SetAlertPhoneAsync(clinic, admin, "020 7946 0999", "staff:" + email)); // a landline
        Assert.Equal("you do not work at this clinic", await f.Store.SetAlertPhoneAsync(clinic, Guid.NewGuid(), "07700 100124", "staff:x"));
        Assert.Null(await f.Store.SetAlertPhoneAsync(clinic, admin, "", "staff:" + email));
        Assert.Null(await f.Store.AlertPhoneAsync(clinic, admin));
    }

    private async Task<FakeSmtp.Mail> WaitForMailAsync(string to)
    {
        FakeSmtp.Mail? mail = null;
        await WaitUntilAsync(() => Task.FromResult((mail = f.Smtp.Received.FirstOrDefault(m => m.To.Contains(to))) is not null));
        return mail!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail("timed out waiting");
    }
}

/// <summary>The database alert: it cannot be written while the database is down, so the instance shows and emails it, and records it after.</summary>
public sealed class DatabaseAlertTests
{
    [Fact]
    public async Task An_unreachable_database_shows_at_once_emails_the_admins_and_is_recorded_texted_and_audited_when_it_is_back()
    {
        var db = await TestDatabase.OwnDatabaseAsync("alertsdown");
        await using var smtp = new FakeSmtp();
        await using var portal = AlertFixture.Settings(db, smtp);
        portal.CreateClient().Dispose();
        var slug = "down";
        var clinic = await ClinicSetup.EnsureClinicAsync(db.Owner, new ClinicSpec(slug, "Down clinic", "Europe/London", null, 0, [], [], []));
        await StaffAccounts.EnsureAsync(db.Owner, slug, "boss@down.test", "Boss", "correct-horse-battery-staple-9", "admin");
        var store = portal.Services.GetRequiredService<AlertStore>();
        var monitor = portal.Services.GetRequiredService<AlertMonitor>();
        // Unpooled: the outage ends every connection to the database, and a pooled one would fail its next use.
        await using var su = new NpgsqlConnection(db.Superuser + ";Pooling=false");
        var admin = await su.ScalarAsync<Guid>("select id from staff_users where email = 'boss@down.test'");
        await su.CloseAsync();
        await using var server = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db.Superuser) { Database = "postgres", Pooling = false }.ConnectionString);
        Assert.Null(await store.SetAlertPhoneAsync(clinic, admin, "+447700100125", "staff:boss@down.test"));
        // Counted after a second of failures rather than a minute, so the test need not wait.
        Assert.Null(await store.SaveRulesAsync(clinic, [.. (await store.RulesAsync(clinic)).Select(r => r.Rule == AlertRules.Database ? r with { Threshold = 0.01m } : r)], "staff:boss"));
        Assert.NotNull(await monitor.RoundAsync()); // a good round: the monitor knows who to tell
        var changes = 0;
        monitor.DatabaseStateChanged += () => Interlocked.Increment(ref changes);

        var name = new NpgsqlConnectionStringBuilder(db.App).Database;
        await server.ExecAsync($"alter database \"{name}\" allow_connections false");
        await server.ExecAsync("select pg_terminate_backend(pid) from pg_stat_activity where datname = @name", new { name });
        try
        {
            Assert.Null(await monitor.RoundAsync());
            await Task.Delay(1_000);
            Assert.Null(await monitor.RoundAsync());
            Assert.NotNull(monitor.DatabaseDownSince);
            Assert.Equal(1, changes);
            Assert.Contains(smtp.Received, m => m.To.Contains("boss@down.test") && m.Data.Contains("database unreachable"));
        }
        finally
        {
            await server.ExecAsync($"alter database \"{name}\" allow_connections true");
        }

        Assert.NotNull(await monitor.RoundAsync());
        Assert.Null(monitor.DatabaseDownSince);
        Assert.Equal(2, changes);
        var history = await store.HistoryAsync(clinic);
        var episode = Assert.Single(history, a => a.Rule == AlertRules.Database);
        Assert.NotNull(episode.ResolvedAt);
        Assert.Equal(1L, await su.ScalarAsync<long>("select count(*) from audit_log where clinic_id = @clinic and action = 'alert.fired' and detail ->> 'rule' = 'database'", new { clinic }));
        Assert.Equal(1L, await su.ScalarAsync<long>("select count(*) from audit_log where clinic_id = @clinic and action = 'alert.resolved' and detail ->> 'rule' = 'database'", new { clinic }));
        Assert.Equal(1L, await su.ScalarAsync<long>("select count(*) from sms_messages where clinic_id = @clinic and kind = 'alert' and to_phone = '+447700100125'", new { clinic }));
    }
}
