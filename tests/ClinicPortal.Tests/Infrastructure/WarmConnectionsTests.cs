using ClinicPortal.Infrastructure.Database;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace ClinicPortal.Tests.Infrastructure;

/// <summary>
/// A portal opens its pool's minimum of connections before it listens, and warms each, so that the first callers after a
/// start do not wait for new database backends (WarmConnections).
/// </summary>
public sealed class WarmConnectionsTests
{
    [Fact]
    public async Task A_started_portal_holds_its_minimum_of_connections_each_warmed_once()
    {
        var db = await TestDatabase.OwnDatabaseAsync("warm");
        await using var su = new NpgsqlConnection(db.Superuser);
        await su.OpenAsync();
        // Statements are counted per database: this one is the portal's alone.
        await su.ExecAsync("create extension if not exists pg_stat_statements");

        await using var portal = db.TestPortal(("Database:MinPoolSize", "6"));
        portal.CreateClient().Dispose(); // started: its hosted services have run

        var warmUps = await su.ScalarAsync<long>("""
            select coalesce(sum(calls), 0)::bigint from pg_stat_statements
             where dbid = (select oid from pg_database where datname = current_database()) and query like 'do $$%explain select from%'
            """);
        var open = await su.ScalarAsync<long>(
            "select count(*) from pg_stat_activity where datname = current_database() and usename = @role", new { role = EmbeddedPostgres.AppRole });
        Assert.Equal(6, warmUps);
        Assert.True(open >= 6, $"{open} connections of the app's role are open");
    }

    [Fact]
    public void The_minimum_is_the_setting_else_the_embedded_pools_size_and_never_more_than_the_pool()
    {
        static IConfiguration Config(string? minimum) => new ConfigurationBuilder().AddInMemoryCollection(
            minimum is null ? [] : [new KeyValuePair<string, string?>("Database:MinPoolSize", minimum)]).Build();
        Assert.Equal(EmbeddedPostgres.PoolSize, WarmConnections.MinPoolSize(Config(null), 100));
        Assert.Equal(3, WarmConnections.MinPoolSize(Config(null), 3));
        Assert.Equal(2, WarmConnections.MinPoolSize(Config("2"), 100));
        Assert.Equal(0, WarmConnections.MinPoolSize(Config("0"), 100));
        Assert.Equal(5, WarmConnections.MinPoolSize(Config("50"), 5));
    }
}
