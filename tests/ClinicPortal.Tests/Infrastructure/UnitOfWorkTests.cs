using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using ClinicPortal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace ClinicPortal.Tests.Infrastructure;

/// <summary>The one unit of work: the clinic is set for the transaction only, a failure writes nothing, a commit wakes listeners.</summary>
[Collection(PortalCollection.Name)]
public sealed class UnitOfWorkTests(ClinicPortalFactory portal)
{
    private (ClinicDb Db, System.Threading.Channels.ChannelReader<bool> Woken) NewDb()
    {
        var signal = new CommitSignal();
        var woken = signal.Subscribe();
        var dataSource = ClinicData.NewDataSource(portal.Database.AppConnectionString);
        var options = new DbContextOptionsBuilder<ClinicData>();
        ClinicData.Configure(options, dataSource);
        return (new ClinicDb(dataSource, signal, new PooledDbContextFactory<ClinicData>(options.Options)), woken);
    }

    [Fact]
    public async Task A_write_commits_under_its_clinic_and_then_wakes_listeners()
    {
        var clinic = await portal.CreateClinicAsync();
        var (db, woken) = NewDb();

        var seen = await db.WriteAsync(clinic.Id, async (conn, tx) =>
        {
            await conn.ExecAsync("select audit('test', 'test.unit_of_work', 'test', 'x', '{}')", tx: tx);
            return await conn.ScalarAsync<Guid>("select current_setting('app.clinic_id')::uuid", tx: tx);
        });

        Assert.Equal(clinic.Id, seen);
        Assert.True(woken.TryRead(out _));
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'test.unit_of_work'"));
    }

    [Fact]
    public async Task A_write_that_fails_leaves_nothing_behind_and_wakes_nobody()
    {
        var clinic = await portal.CreateClinicAsync();
        var (db, woken) = NewDb();

        await Assert.ThrowsAsync<InvalidOperationException>(() => db.WriteAsync(clinic.Id, async (conn, tx) =>
        {
            await conn.ExecAsync("select audit('test', 'test.rolled_back', 'test', 'x', '{}')", tx: tx);
            throw new InvalidOperationException("the action changed its mind");
        }));

        Assert.False(woken.TryRead(out _));
        Assert.Equal(0, await clinic.CountAsync("audit_log", "action = 'test.rolled_back'"));
    }

    [Fact]
    public async Task Linq_reads_see_only_the_clinic_set_for_their_transaction()
    {
        var mine = await portal.CreateClinicAsync();
        var theirs = await portal.CreateClinicAsync();
        await mine.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "10:00");
        await theirs.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "10:00");
        var (db, _) = NewDb();

        var seen = await db.ReadDataAsync(mine.Id, data => data.Appointments.Select(a => a.ClinicId).Distinct().ToListAsync());

        Assert.Equal([mine.Id], seen);
    }

    [Fact]
    public async Task The_clinic_does_not_outlive_the_transaction_on_a_pooled_connection()
    {
        var clinic = await portal.CreateClinicAsync();
        var (db, _) = NewDb();
        Assert.NotEmpty(await db.ReadDataAsync(clinic.Id, data => data.Clinics.Select(c => c.Id).ToListAsync()));

        await using var conn = await db.OpenAsync();
        Assert.True(string.IsNullOrEmpty(await conn.ScalarAsync<string?>("select current_setting('app.clinic_id', true)")));
    }
}
