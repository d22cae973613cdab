using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using ClinicPortal.Tests.Support;
using Dapper;
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
        return (new ClinicDb(NpgsqlDataSource.Create(portal.Database.AppConnectionString), signal), woken);
    }

    [Fact]
    public async Task A_write_commits_under_its_clinic_and_then_wakes_listeners()
    {
        var clinic = await portal.CreateClinicAsync();
        var (db, woken) = NewDb();

        var seen = await db.WriteAsync(clinic.Id, async (conn, tx) =>
        {
            await conn.ExecuteAsync("select audit('test', 'test.unit_of_work', 'test', 'x', '{}')", transaction: tx);
            return await conn.ExecuteScalarAsync<Guid>("select current_setting('app.clinic_id')::uuid", transaction: tx);
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
            await conn.ExecuteAsync("select audit('test', 'test.rolled_back', 'test', 'x', '{}')", transaction: tx);
            throw new InvalidOperationException("the action changed its mind");
        }));

        Assert.False(woken.TryRead(out _));
        Assert.Equal(0, await clinic.CountAsync("audit_log", "action = 'test.rolled_back'"));
    }

    [Fact]
    public async Task The_clinic_does_not_outlive_the_transaction_on_a_pooled_connection()
    {
        var clinic = await portal.CreateClinicAsync();
        var (db, _) = NewDb();
        await db.ReadAsync(clinic.Id, (conn, tx) => conn.ExecuteScalarAsync<string>("select current_setting('app.clinic_id')", transaction: tx));

        await using var conn = await db.OpenAsync();
        Assert.True(string.IsNullOrEmpty(await conn.ExecuteScalarAsync<string?>("select current_setting('app.clinic_id', true)")));
    }
}
