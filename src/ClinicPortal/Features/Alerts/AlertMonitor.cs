using ClinicPortal.Infrastructure.Database;
using ClinicPortal.Features.Latency;
using NodaTime;
using Npgsql;

namespace ClinicPortal.Features.Alerts;

/// <summary>What one rule measured in one clinic: whether it fires, the figure, and what to tell people.</summary>
public sealed record AlertReading(string Rule, bool Firing, decimal? Value, decimal Threshold, string Summary);

/// <summary>
/// Checks every clinic's alert rules (AlertRules.cs, docs/operations.md) every Alerts:IntervalSeconds (30), the first
/// Alerts:FirstRunSeconds (30) after start. Each round first checks that the database answers: when it has not for the
/// database rule's threshold, every open page of this instance shows it and the clinics' admins get an email (from the
/// addresses of the last good round); once it answers again the episode is written to each clinic's history, audited and
/// texted. Then one instance at a time (under an advisory lock) measures each clinic and records each rule through
/// observe_alert (0023_alerts.sql): fired, still firing, or resolved. A rule that fires is texted to the clinic's admins
/// through the outbox, and emailed when Smtp:Host is set, at most once an hour per rule.
/// </summary>
public sealed class AlertMonitor(ClinicDb db, AlertMail mail, IConfiguration config, ILogger<AlertMonitor> log) : BackgroundService
{
    private const long LockKey = 0x436c696e6963416c; // "ClinicAl": one evaluation at a time, whichever instance

    private sealed record Recipient(string Email, string? Phone);
    private sealed record ClinicContacts(string Name, IReadOnlyList<Recipient> Admins, AlertRule Database);

    // From the last good round: who to email, and after how long, while the database cannot tell us.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, ClinicContacts> _contacts = new();
    private DateTime? _databaseDownSince;
    private bool _databaseAlertRaised;
    private string? _databaseProblem;
    private readonly HashSet<Guid> _recordedOutage = []; // clinics whose history already has the outage that just ended

    /// <summary>Since when this instance has not reached the database, once that has lasted the rule's threshold; else null.</summary>
    public DateTime? DatabaseDownSince => _databaseAlertRaised ? _databaseDownSince : null;

    /// <summary>Raised (on the monitor's thread) when the database alert starts or ends; open pages re-render.</summary>
    public event Action? DatabaseStateChanged;

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(config.GetValue("Alerts:FirstRunSeconds", 30.0), 2_000_000)), stop);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(config.GetValue("Alerts:IntervalSeconds", 30.0)));
        do
        {
            try { await RoundAsync(stop); }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                log.LogWarning(e, "Could not check the alert rules; trying again next round");
            }
        } while (await timer.WaitForNextTickAsync(stop));
    }

    /// <summary>One round: the database check, then every clinic's rules (null readings when another instance evaluates now).</summary>
    public async Task<IReadOnlyDictionary<Guid, IReadOnlyList<AlertReading>>?> RoundAsync(CancellationToken ct = default)
    {
        if (!await DatabaseAnswersAsync(ct)) return null;
        await using var lockConn = await db.OpenAsync(ct);
        if (!await lockConn.Command("select pg_try_advisory_lock(@key)").With("key", LockKey).ScalarAsync<bool>(ct)) return null;
        try
        {
            var readings = new Dictionary<Guid, IReadOnlyList<AlertReading>>();
            foreach (var clinic in await lockConn.Command("select retention_clinics()").ListAsync(r => r.GetGuid(0), ct))
                readings[clinic] = await EvaluateAsync(clinic, ct);
            return readings;
        }
        finally
        {
            await lockConn.Command("select pg_advisory_unlock(@key)").With("key", LockKey).RunAsync(CancellationToken.None);
        }
    }

    private async Task<bool> DatabaseAnswersAsync(CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(config.GetValue("Alerts:DatabaseTimeoutSeconds", 5.0)));
            await db.RunAsync(conn => conn.Command("select 1").ScalarAsync<int>(timeout.Token), timeout.Token);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            await DatabaseUnreachableAsync(e.Message, ct);
            return false;
        }
        if (_databaseDownSince is { } since) await DatabaseBackAsync(since, ct);
        return true;
    }

    private async Task DatabaseUnreachableAsync(string problem, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        _databaseDownSince ??= now;
        _databaseProblem = problem;
        log.LogError("The database did not answer: {Problem}", problem);
        db.ClearPool(); // connections the server ended would fail the first request each once it is back
        var watching = _contacts.Where(c => c.Value.Database.Enabled).ToList();
        var threshold = watching.Count == 0 ? AlertRules.Kind(AlertRules.Database).DefaultThreshold : watching.Min(c => c.Value.Database.Threshold);
        if (_databaseAlertRaised || (decimal)(now - _databaseDownSince.Value).TotalMinutes < threshold) return;
        _databaseAlertRaised = true;
        DatabaseStateChanged?.Invoke();
        // Texts go through the outbox, in the database: they are queued when it is back. Email does not need it.
        foreach (var (_, c) in watching)
            await mail.SendAsync(c.Admins.Select(a => a.Email).ToList(), $"ClinicPortal alert for {c.Name}: database unreachable",
                $"ClinicPortal has not reached its database since {_databaseDownSince:yyyy-MM-dd HH:mm} UTC: {problem}\n" +
                "Calls to the voice assistant get 'temporarily unavailable' answers until it is back. See docs/operations.md, Alerts.", ct);
    }

    private async Task DatabaseBackAsync(DateTime since, CancellationToken ct)
    {
        if (!_databaseAlertRaised)
        {
            _databaseDownSince = null; // a blip shorter than the threshold: nothing to record
            return;
        }
        var now = DateTime.UtcNow;
        var minutes = Math.Round((decimal)(now - since).TotalMinutes, 1);
        var summary = $"The database was unreachable from {since:HH:mm} to {now:HH:mm} UTC ({minutes} min): {_databaseProblem}";
        if (summary.Length > 500) summary = summary[..500];
        // Each clinic's record commits on its own; if the database fails again half way, the next round records the rest.
        foreach (var (clinic, contacts) in _contacts.Where(c => c.Value.Database.Enabled && !_recordedOutage.Contains(c.Key)))
        {
            await db.WriteAsync(clinic, async (conn, tx) =>
            {
                var id = await conn.Command("select record_past_alert('database', @since, now(), @value, @threshold, @summary)", tx)
                    .With("since", since).With("value", minutes).With("threshold", contacts.Database.Threshold).With("summary", summary)
                    .ScalarAsync<long>(ct);
                await conn.Command("select notify_alert(@id, @body)", tx).With("id", id).With("body", TextBody(contacts.Name, summary)).RunAsync(ct);
            }, ct);
            _recordedOutage.Add(clinic);
        }
        (_databaseDownSince, _databaseAlertRaised) = (null, false);
        _recordedOutage.Clear();
        DatabaseStateChanged?.Invoke();
    }

    /// <summary>Measures one clinic's rules and records each; texts and emails what fired.</summary>
    public async Task<IReadOnlyList<AlertReading>> EvaluateAsync(Guid clinic, CancellationToken ct = default)
    {
        var (snapshot, rules) = await db.ReadAsync(clinic, async (conn, tx) =>
        {
            var stored = await conn.Command("select rule, enabled, threshold, window_minutes from alert_rules", tx)
                .ListAsync(r => new AlertRule(r.GetString(0), r.GetBoolean(1), r.GetDecimal(2), r.GetInt32(3)), ct);
            var rules = AlertRules.Complete(stored).ToDictionary(r => r.Rule);
            return (await Snapshot.ReadAsync(conn, tx, rules, ct), rules);
        }, ct);
        if (snapshot is null) return []; // no such clinic
        _contacts[clinic] = new ClinicContacts(snapshot.Name, snapshot.Admins, rules[AlertRules.Database]);

        var readings = Measure(snapshot, rules, DateTime.UtcNow);
        var toSend = new List<AlertReading>();
        await db.WriteAsync(clinic, async (conn, tx) =>
        {
            foreach (var reading in readings)
            {
                var (change, id) = await conn.Command("select change, alert_id from observe_alert(@rule, @firing, @value, @threshold, @summary)", tx)
                    .With("rule", reading.Rule).With("firing", reading.Firing).With("value", reading.Value).With("threshold", reading.Threshold)
                    .With("summary", reading.Summary).FirstOrDefaultAsync(r => (r.GetString(0), r.Value<long?>(1)), ct);
                if (change != "fired") continue;
                log.LogWarning("Alert {Rule} fired in clinic {Clinic}: {Summary}", reading.Rule, clinic, reading.Summary);
                var sent = await conn.Command("select notify_alert(@id, @body)", tx).With("id", id!.Value)
                    .With("body", TextBody(snapshot.Name, reading.Summary)).ScalarAsync<int?>(ct);
                if (sent is not null) toSend.Add(reading);
            }
        }, ct);
        foreach (var reading in toSend)
            await mail.SendAsync(snapshot.Admins.Select(a => a.Email).ToList(),
                $"ClinicPortal alert for {snapshot.Name}: {AlertRules.Kind(reading.Rule).Title}",
                reading.Summary + "\n\nThe Alerts page shows it while it lasts; docs/operations.md (Alerts) says what to do.", ct);
        return readings;
    }

    private static string TextBody(string clinicName, string summary)
    {
        var text = $"ClinicPortal alert, {clinicName}: {summary}";
        return text.Length <= 320 ? text : text[..317] + "...";
    }

    /// <summary>Every enabled rule's reading (the database rule is this monitor's own); a disabled rule reads as quiet, so it resolves.</summary>
    private static List<AlertReading> Measure(Snapshot s, IReadOnlyDictionary<string, AlertRule> rules, DateTime nowUtc)
    {
        var readings = new List<AlertReading>();
        void Add(string rule, Func<AlertRule, AlertReading> read)
        {
            var r = rules[rule];
            readings.Add(r.Enabled ? read(r) : new AlertReading(rule, false, null, r.Threshold, "rule turned off"));
        }

        Add(AlertRules.WebhookP95, r =>
        {
            var p95 = LatencyHistogram.Percentile(s.Latency, 0.95);
            var value = p95 is { } v ? Math.Round((decimal)v) : (decimal?)null;
            return new(r.Rule, value > r.Threshold, value,
                r.Threshold, $"Webhook p95 {value?.ToString() ?? "-"} ms over the last {r.WindowMinutes} min ({s.Latency.Sum()} requests; threshold {r.Threshold} ms).");
        });
        Add(AlertRules.ToolFailures, r =>
        {
            var share = s.ToolCalls == 0 ? (decimal?)null : Math.Round(100m * s.ToolFailures / s.ToolCalls, 1);
            return new(r.Rule, share > r.Threshold, share, r.Threshold,
                $"{s.ToolFailures} of {s.ToolCalls} tool calls failed over the last {r.WindowMinutes} min ({share?.ToString() ?? "-"}%; threshold {r.Threshold}%).");
        });
        Add(AlertRules.TextFailures, r =>
        {
            var share = s.TextsOut == 0 ? (decimal?)null : Math.Round(100m * s.TextsFailed / s.TextsOut, 1);
            return new(r.Rule, share > r.Threshold, share, r.Threshold,
                $"{s.TextsFailed} of {s.TextsOut} texts failed or were not delivered over the last {r.WindowMinutes} min ({share?.ToString() ?? "-"}%; threshold {r.Threshold}%).");
        });
        Add(AlertRules.TextQueue, r =>
        {
            var minutes = s.OldestQueuedSeconds is { } q ? Math.Round((decimal)q / 60, 1) : (decimal?)null;
            return new(r.Rule, minutes > r.Threshold, minutes, r.Threshold,
                $"A text has waited {minutes?.ToString() ?? "-"} min in the outbox without Twilio taking it (threshold {r.Threshold} min).");
        });
        Add(AlertRules.AssistantSilent, r =>
        {
            if (s.LastToolCall is not { } last)
                return new(r.Rule, false, null, r.Threshold, "The assistant has not made a tool call yet.");
            var openHours = OpeningHoursBetween(last, nowUtc, s.TimeZone, s.Hours, (double)r.Threshold);
            var value = Math.Round((decimal)openHours, 2);
            return new(r.Rule, value >= r.Threshold, value, r.Threshold,
                $"No tool call for {value} opening hours, since {last:yyyy-MM-dd HH:mm} UTC (threshold {r.Threshold} hours).");
        });
        Add(AlertRules.SealerLag, r =>
        {
            var minutes = s.OldestUnsealedSeconds is { } u ? Math.Round((decimal)u / 60, 1) : (decimal?)null;
            return new(r.Rule, minutes > r.Threshold, minutes, r.Threshold,
                $"The oldest audit entry without its seal is {minutes?.ToString() ?? "-"} min old (threshold {r.Threshold} min).");
        });
        return readings;
    }

    /// <summary>
    /// How many hours the clinic was open (any active provider's working hours, in the clinic's time zone) between the two
    /// instants, counted by the minute back from the later, stopping once it reaches `enough` hours or after 14 days.
    /// </summary>
    public static double OpeningHoursBetween(DateTime fromUtc, DateTime toUtc, string timeZone, IReadOnlyList<(int Weekday, TimeOnly Start, TimeOnly End)> hours,
        double enough)
    {
        if (hours.Count == 0) return 0;
        var zone = Shared.ClinicTime.Zone(timeZone);
        var minutes = 0;
        var t = new DateTime(toUtc.Ticks - toUtc.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        var stop = toUtc.AddDays(-14) > fromUtc ? toUtc.AddDays(-14) : fromUtc;
        while (t > stop && minutes < enough * 60)
        {
            var local = Instant.FromDateTimeUtc(t).InZone(zone).LocalDateTime;
            var weekday = (int)local.DayOfWeek;
            var time = new TimeOnly(local.Hour, local.Minute);
            if (hours.Any(h => h.Weekday == weekday && time >= h.Start && time < h.End)) minutes++;
            t = t.AddMinutes(-1);
        }
        return minutes / 60.0;
    }

    /// <summary>What the rules read of one clinic, in one read-only transaction.</summary>
    private sealed record Snapshot(string Name, string TimeZone, int[] Latency, long ToolCalls, long ToolFailures, long TextsOut, long TextsFailed,
        double? OldestQueuedSeconds, double? OldestUnsealedSeconds, DateTime? LastToolCall, IReadOnlyList<(int, TimeOnly, TimeOnly)> Hours,
        IReadOnlyList<Recipient> Admins)
    {
        public static async Task<Snapshot?> ReadAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyDictionary<string, AlertRule> rules,
            CancellationToken ct)
        {
            var latency = LatencyHistogram.Merge(await conn.Command(
                    "select counts from webhook_latency where bucket_start >= now() - make_interval(mins => @window)", tx)
                .With("window", rules[AlertRules.WebhookP95].WindowMinutes).ListAsync(r => r.GetFieldValue<int[]>(0), ct));
            var hours = await conn.Command("""
                select w.weekday, w.starts_at, w.ends_at from working_hours w join providers p on p.clinic_id = w.clinic_id and p.id = w.provider_id
                 where p.active
                """, tx).ListAsync(r => ((int)r.GetInt16(0), r.GetFieldValue<TimeOnly>(1), r.GetFieldValue<TimeOnly>(2)), ct);
            var admins = await conn.Command("select email, alert_phone from alert_recipients()", tx)
                .ListAsync(r => new Recipient(r.GetString(0), r.Value<string>(1)), ct);
            return await conn.Command("""
                select c.name, c.time_zone,
                       (select coalesce(sum(tool_calls), 0) from webhook_latency where bucket_start >= now() - make_interval(mins => @toolWindow)),
                       (select coalesce(sum(tool_failures), 0) from webhook_latency where bucket_start >= now() - make_interval(mins => @toolWindow)),
                       t.total, t.failed,
                       (select extract(epoch from now() - min(created_at))::float8 from sms_messages where status in ('queued', 'sending')),
                       (select extract(epoch from now() - min(u.occurred_at))::float8 from unsealed_audit() u),
                       (select max(created_at) from tool_calls)
                  from clinics c,
                       lateral (select count(*) filter (where status in ('sent', 'delivered', 'failed', 'undelivered')) as total,
                                       count(*) filter (where status in ('failed', 'undelivered')) as failed
                                  from sms_messages where created_at >= now() - make_interval(mins => @textWindow)) t
                 where c.id = current_clinic_id()
                """, tx).With("toolWindow", rules[AlertRules.ToolFailures].WindowMinutes).With("textWindow", rules[AlertRules.TextFailures].WindowMinutes)
                .FirstOrDefaultAsync(r => new Snapshot(r.GetString(0), r.GetString(1), latency, r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5),
                    r.Value<double?>(6), r.Value<double?>(7), r.Value<DateTime?>(8), hours, admins), ct);
        }
    }
}
