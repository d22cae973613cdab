using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace ClinicPortal.Infrastructure.Database;

/// <summary>
/// Applies db/migrations/NNNN_name.sql in order, each once, in its own transaction, under an
/// advisory lock (several instances may start together), recording each file's SHA-256.
/// An applied file whose content changed is an error that names the file.
/// </summary>
public static class Migrator
{
    private const long LockKey = 0x436C696E6963; // "Clinic"

    public static string MigrationsDirectory => Path.Combine(AppContext.BaseDirectory, "db", "migrations");

    private static readonly Lazy<IReadOnlyList<string>> ShippedNames = new(() => Files().Select(f => f.Name).ToList());

    public static IReadOnlyList<(string Name, string Checksum, string Sql)> Files(string? directory = null) =>
        Directory.GetFiles(directory ?? MigrationsDirectory, "*.sql")
            .Select(f => (Name: Path.GetFileName(f), Sql: File.ReadAllText(f)))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => (f.Name, Checksum(f.Sql), f.Sql))
            .ToList();

    public static async Task<int> MigrateAsync(string ownerConnectionString, ILogger logger, CancellationToken ct = default,
        string? directory = null)
    {
        await using var conn = new NpgsqlConnection(ownerConnectionString);
        await conn.OpenAsync(ct);
        await conn.Command("select pg_advisory_lock(@key)").With("key", LockKey).RunAsync(ct);
        try
        {
            await conn.Command("""
                create table if not exists schema_migrations (
                    name text primary key, checksum text not null, applied_at timestamptz not null default now());
                grant select on schema_migrations to clinic_app;
                """).RunAsync(ct);
            var applied = (await conn.Command("select name, checksum from schema_migrations").ListAsync(r => (r.GetString(0), r.GetString(1)), ct))
                .ToDictionary(r => r.Item1, r => r.Item2);
            var count = 0;
            foreach (var (name, checksum, sql) in Files(directory))
            {
                if (applied.TryGetValue(name, out var recorded))
                {
                    if (recorded != checksum)
                        throw new InvalidOperationException(
                            $"Migration {name} was changed after it was applied (checksum {recorded} recorded, {checksum} now). " +
                            "Applied migrations are immutable: add a new migration instead.");
                    continue;
                }
                await using var tx = await conn.BeginTransactionAsync(ct);
                await conn.Command(sql, tx).RunAsync(ct);
                await conn.Command("insert into schema_migrations (name, checksum) values (@name, @checksum)", tx)
                    .With("name", name).With("checksum", checksum).RunAsync(ct);
                await tx.CommitAsync(ct);
                logger.LogInformation("Applied migration {Migration}", name);
                count++;
            }
            return count;
        }
        finally
        {
            await conn.Command("select pg_advisory_unlock(@key)").With("key", LockKey).RunAsync(CancellationToken.None);
        }
    }

    /// <summary>Names of migration files not yet applied (readiness reports them).</summary>
    public static async Task<IReadOnlyList<string>> PendingAsync(NpgsqlConnection conn)
    {
        var applied = (await conn.Command("select name from schema_migrations").ListAsync(r => r.GetString(0))).ToHashSet();
        return ShippedNames.Value.Where(n => !applied.Contains(n)).ToList();
    }

    private static string Checksum(string sql) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n")))).ToLowerInvariant();
}
