using ClinicPortal.Features.Clinics;
using ClinicPortal.Features.Demo;
using ClinicPortal.Features.Privacy;
using ClinicPortal.Features.Settings;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ClinicPortal.Tests.Privacy;

/// <summary>
/// Each clinic's retention periods, applied by the retention job in batches, one instance at a time, audited with its
/// counts; appointments and the audit trail untouched. On a database of its own: a run covers every clinic there.
/// </summary>
public sealed class RetentionTests
{
    [Fact]
    public async Task What_is_older_than_the_clinics_periods_goes_in_batches_and_what_is_younger_or_kept_forever_stays()
    {
        var db = await TestDatabase.OwnDatabaseAsync("retention");
        await using var portal = db.Portal(("Retention:FirstRunMinutes", "100000"), ("Retention:BatchSize", "2"),
            ("Notes:Keys:test1", TestDatabase.NotesKey));
        portal.CreateClient().Dispose(); // started: migrated
        var clinic = await ClinicSetup.EnsureClinicAsync(db.Owner, new ClinicSpec("keep", "Keep clinic", "Europe/London", "+442079460999", 0,
            [new ProviderSpec("dr-a", "Dr A", "General", DemoSeed.MondayToSaturday)], [], ["keep-secret"]));
        await portal.Services.GetRequiredService<ClinicSettingsStore>()
            .SaveRetentionAsync(clinic, new RetentionSettings(CallRecordsDays: 90, TextBodiesDays: 30, EventsDays: 7, CallerNumbersDays: 365), "staff:admin@example.com");

        await using (var su = new NpgsqlConnection(db.Superuser))
        {
            await su.OpenAsync();
            // Five old calls (past 90 days for records; two also past a year for numbers), one recent; texts and events likewise.
            await su.ExecAsync("""
                insert into calls (clinic_id, call_id, status, caller_phone, ended_at, transcript, summary)
                select @clinic, 'old-' || i, 'ended', '+447700100' || (100 + i), now() - make_interval(days => case when i <= 2 then 400 else 100 end),
                       'AI: hello', 'asked about prices' from generate_series(1, 5) i;
                insert into calls (clinic_id, call_id, status, caller_phone, ended_at, transcript, summary)
                values (@clinic, 'recent', 'ended', '+447700100199', now() - interval '10 days', 'AI: hello', 'booked');
                insert into sms_messages (clinic_id, kind, dedupe_key, ref, to_phone, body, status, created_by, created_at, next_attempt_at)
                select @clinic, 'follow_up', 'k' || i, 'r' || i, '+447700100101', 'About lip filler: https://x/i/keep', s, 'vapi', now() - make_interval(days => d),
                       now() + interval '1 day' -- a retry not due yet: the dispatcher leaves the queued one alone
                  from (values (1, 'delivered', 40), (2, 'failed', 45), (3, 'queued', 50), (4, 'sent', 5)) v(i, s, d);
                insert into events (clinic_id, kind, occurred_at, payload)
                select @clinic, 'booking', now() - make_interval(days => d), '{}'::jsonb from unnest(array[8, 9, 10, 1]) d;
                """, new { clinic });
        }
        var auditBefore = await CountAsync(db, "select count(*) from audit_log where clinic_id = @clinic", clinic);

        var run = await portal.Services.GetRequiredService<Retention>().RunAsync();

        Assert.Equal(new RetentionCounts(CallRecords: 5, TextBodies: 2, Events: 3, CallerNumbers: 2), run![clinic]);
        Assert.Equal(5, await CountAsync(db, "select count(*) from calls where clinic_id = @clinic and transcript is null and summary is null and call_id like 'old-%'", clinic));
        Assert.Equal(1, await CountAsync(db, "select count(*) from calls where clinic_id = @clinic and call_id = 'recent' and transcript is not null and caller_phone is not null", clinic));
        Assert.Equal(3, await CountAsync(db, "select count(*) from calls where clinic_id = @clinic and call_id like 'old-%' and caller_phone is not null", clinic));
        Assert.Equal(2, await CountAsync(db, "select count(*) from sms_messages where clinic_id = @clinic and body = '[removed after 30 days]'", clinic));
        Assert.Equal(1, await CountAsync(db, "select count(*) from sms_messages where clinic_id = @clinic and status = 'queued' and body like 'About%'", clinic)); // still to send
        Assert.Equal(1, await CountAsync(db, "select count(*) from events where clinic_id = @clinic", clinic));
        Assert.Equal(auditBefore + 1, await CountAsync(db, "select count(*) from audit_log where clinic_id = @clinic", clinic)); // the trail is kept
        Assert.Equal(1, await CountAsync(db, """
            select count(*) from audit_log where clinic_id = @clinic and action = 'retention.applied' and actor = 'system:retention'
               and detail = '{"call_records": 5, "text_bodies": 2, "events": 3, "caller_numbers": 2}'::jsonb
            """, clinic));

        var again = await portal.Services.GetRequiredService<Retention>().RunAsync();
        Assert.Equal(new RetentionCounts(0, 0, 0, 0), again![clinic]); // nothing left to do, and the run is still audited
        Assert.Equal(2, await CountAsync(db, "select count(*) from audit_log where clinic_id = @clinic and action = 'retention.applied'", clinic));
    }

    [Fact]
    public async Task Only_one_instance_runs_it_at_a_time_and_periods_out_of_range_are_refused()
    {
        var db = await TestDatabase.OwnDatabaseAsync("retentionlock");
        await using var portal = db.Portal(("Retention:FirstRunMinutes", "100000"), ("Notes:Keys:test1", TestDatabase.NotesKey));
        portal.CreateClient().Dispose();
        var clinic = await ClinicSetup.EnsureClinicAsync(db.Owner, new ClinicSpec("lock", "Lock clinic", "Europe/London", null, 0, [], [], []));

        await using (var other = new NpgsqlConnection(db.Owner + ";Pooling=false")) // another instance, mid-run
        {
            await other.OpenAsync();
            await other.ExecAsync("select pg_advisory_lock(4858374020961358437)");
            Assert.Null(await portal.Services.GetRequiredService<Retention>().RunAsync());
            await other.ExecAsync("select pg_advisory_unlock(4858374020961358437)"); // that run ends
        }
        Assert.NotNull(await portal.Services.GetRequiredService<Retention>().RunAsync());

        var store = portal.Services.GetRequiredService<ClinicSettingsStore>();
        Assert.Contains("between 1 and 3650", await store.SaveRetentionAsync(clinic, new RetentionSettings(0, 90, 30, 365), "staff:a@example.com"));
        var (settings, _) = await store.LoadAsync(clinic);
        Assert.Equal(new RetentionSettings(90, 90, 30, 365), settings.Retention);
    }

    private static async Task<long> CountAsync(OwnDatabase db, string sql, Guid clinic)
    {
        await using var su = new NpgsqlConnection(db.Superuser);
        return await su.ScalarAsync<long>(sql, new { clinic });
    }
}
