using System.Text.Json;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Privacy;

/// <summary>What one run of the retention job did in one clinic.</summary>
public sealed record RetentionCounts(int CallRecords, int TextBodies, int Events, int CallerNumbers)
{
    public RetentionCounts Plus(RetentionCounts o) => new(CallRecords + o.CallRecords, TextBodies + o.TextBodies, Events + o.Events, CallerNumbers + o.CallerNumbers);
    public bool Any => CallRecords + TextBodies + Events + CallerNumbers > 0;
}

/// <summary>
/// Applies each clinic's retention periods (clinics.keep_*_days, in settings; docs/privacy.md) every
/// Retention:IntervalHours (6), the first Retention:FirstRunMinutes (10) after start: call transcripts and summaries, text bodies, dashboard events, and ended calls' caller
/// numbers older than their period are removed, in batches of Retention:BatchSize (500) rows per statement
/// (apply_retention, 0021_retention.sql). One instance at a time runs it, under a session advisory lock; the others skip
/// that round. Each run is audited in each clinic (retention.applied, actor system:retention) with its counts. It never
/// touches appointments or the audit trail.
/// </summary>
public sealed class Retention(ClinicDb db, IConfiguration config, ILogger<Retention> log) : BackgroundService
{
    private const long LockKey = 0x436c696e69635265; // "ClinicRe": one retention run at a time, whichever instance

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        // The first run waits a little after start (a restart loop must not run it each time), then one every interval.
        // (Task.Delay takes at most 24.8 days: a longer wait, as the tests set, waits that long.)
        await Task.Delay(TimeSpan.FromMinutes(Math.Min(config.GetValue("Retention:FirstRunMinutes", 10.0), 35_000)), stop);
        using var timer = new PeriodicTimer(TimeSpan.FromHours(config.GetValue("Retention:IntervalHours", 6.0)));
        do
        {
            try { await RunAsync(stop); }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                log.LogWarning(e, "Could not apply the retention periods; trying again next round");
            }
        } while (await timer.WaitForNextTickAsync(stop));
    }

    /// <summary>One run over every clinic; null when another instance holds the lock (it is running now).</summary>
    public async Task<IReadOnlyDictionary<Guid, RetentionCounts>?> RunAsync(CancellationToken ct = default)
    {
        await using var lockConn = await db.OpenAsync(ct);
        if (!await lockConn.Command("select pg_try_advisory_lock(@key)").With("key", LockKey).ScalarAsync<bool>(ct)) return null;
        try
        {
            var batch = config.GetValue("Retention:BatchSize", 500);
            var clinics = await lockConn.Command("select retention_clinics()").ListAsync(r => r.GetGuid(0), ct);
            var done = new Dictionary<Guid, RetentionCounts>();
            foreach (var clinic in clinics)
            {
                var total = new RetentionCounts(0, 0, 0, 0);
                while (true) // each batch commits on its own: a long backlog never holds one long transaction
                {
                    var json = await db.RunAsync(conn => conn.ForClinic(clinic, "select apply_retention(@batch)::text").With("batch", batch)
                        .ScalarAsync<string>(ct), ct);
                    var counts = Read(json);
                    total = total.Plus(counts);
                    if (counts.CallRecords < batch && counts.TextBodies < batch && counts.Events < batch && counts.CallerNumbers < batch) break;
                }
                await db.RunAsync(conn => conn.ForClinic(clinic, """
                    select audit('system:retention', 'retention.applied', 'clinic', @clinic::text,
                                 jsonb_build_object('call_records', @records, 'text_bodies', @bodies, 'events', @events, 'caller_numbers', @numbers))
                    """).With("records", total.CallRecords).With("bodies", total.TextBodies).With("events", total.Events)
                    .With("numbers", total.CallerNumbers).RunAsync(ct), ct);
                done[clinic] = total;
                if (total.Any) log.LogInformation("Retention in clinic {Clinic}: {Counts}", clinic, total);
            }
            return done;
        }
        finally
        {
            await lockConn.Command("select pg_advisory_unlock(@key)").With("key", LockKey).RunAsync(CancellationToken.None);
        }
    }

    private static RetentionCounts Read(string? json)
    {
        if (json is null) return new(0, 0, 0, 0);
        var o = JsonDocument.Parse(json).RootElement;
        return new(o.GetProperty("call_records").GetInt32(), o.GetProperty("text_bodies").GetInt32(), o.GetProperty("events").GetInt32(),
            o.GetProperty("caller_numbers").GetInt32());
    }
}
