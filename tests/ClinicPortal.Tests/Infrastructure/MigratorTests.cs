using ClinicPortal.Infrastructure.Database;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ClinicPortal.Tests.Infrastructure;

[Collection(PortalCollection.Name)]
public sealed class MigratorTests(ClinicPortalFactory portal)
{
    /// <summary>A new empty database owned by the owner role, and an empty folder for migration files.</summary>
    private async Task<(string Owner, string Files)> EmptyDatabaseAsync()
    {
        var database = "migrations_" + Guid.NewGuid().ToString("N")[..10];
        await using (var su = portal.Superuser())
            await su.ExecAsync($"create database {database} owner {EmbeddedPostgres.OwnerRole}");
        var owner = new NpgsqlConnectionStringBuilder(portal.Database.OwnerConnectionString) { Database = database, Pooling = false }.ConnectionString;
        return (owner, TestDatabase.Scratch("migrations"));
    }

    [Fact]
    public async Task Migrations_apply_once_and_a_changed_applied_file_is_an_error_naming_it()
    {
        var (owner, files) = await EmptyDatabaseAsync();
        foreach (var f in Directory.GetFiles(Migrator.MigrationsDirectory)) File.Copy(f, Path.Combine(files, Path.GetFileName(f)));

        var first = await Migrator.MigrateAsync(owner, NullLogger.Instance, directory: files);
        var second = await Migrator.MigrateAsync(owner, NullLogger.Instance, directory: files);
        await File.AppendAllTextAsync(Path.Combine(files, "0002_tenancy.sql"), "\n-- edited after it was applied\n");
        var changed = await Assert.ThrowsAsync<InvalidOperationException>(() => Migrator.MigrateAsync(owner, NullLogger.Instance, directory: files));

        Assert.Equal(Directory.GetFiles(files).Length, first);
        Assert.Equal(0, second);
        Assert.Contains("0002_tenancy.sql", changed.Message);
        await using var conn = new NpgsqlConnection(owner);
        Assert.Equal(first, await conn.ScalarAsync<long>("select count(*) from schema_migrations where checksum ~ '^[0-9a-f]{64}$'"));
    }

    [Fact]
    public async Task A_failing_migration_leaves_nothing_half_applied()
    {
        var (owner, files) = await EmptyDatabaseAsync();
        await File.WriteAllTextAsync(Path.Combine(files, "0001_ok.sql"), "create table first_table (id int);");
        await File.WriteAllTextAsync(Path.Combine(files, "0002_broken.sql"), "create table second_table (id int); select 1/0;");

        await Assert.ThrowsAsync<PostgresException>(() => Migrator.MigrateAsync(owner, NullLogger.Instance, directory: files));

        await using var conn = new NpgsqlConnection(owner);
        Assert.Equal(["0001_ok.sql"], await conn.ColumnAsync<string>("select name from schema_migrations"));
        Assert.Null(await conn.ScalarAsync<string>("select to_regclass('second_table')::text"));
    }
}
