using Npgsql;

namespace ClinicPortal.Infrastructure.Database;

/// <summary>
/// Keeps the pool's first connections open and warm, so a caller is not the one who pays for a new backend
/// (docs/performance.md, "Sixth round"). A PostgreSQL backend builds its caches of tables, indexes, policies and
/// functions on first use: a voice booking on a new connection took 25 ms of database time, against 2 ms on a used one,
/// and five callers racing on new connections each paid it. Npgsql closes connections idle for five minutes, so a
/// quiet clinic's next caller met new backends again. Now the pool keeps Database:MinPoolSize connections (by default the
/// embedded pool's size, and never more than the pool), and opens them all before the portal listens. On each, one
/// statement plans a read of every table that has clinic rows, filtered by clinic as row-level security filters it, under
/// a clinic that does not exist: it reads no clinic's data, and writes nothing.
/// </summary>
public sealed class WarmConnections(NpgsqlDataSource dataSource, ILogger<WarmConnections> logger) : IHostedService
{
    /// <summary>The pool's minimum: Database:MinPoolSize, else the embedded pool's size, within the pool's maximum.</summary>
    public static int MinPoolSize(IConfiguration config, int maxPoolSize) =>
        Math.Clamp(config.GetValue<int?>("Database:MinPoolSize") ?? EmbeddedPostgres.PoolSize, 0, maxPoolSize);

    // One batch, so one implicit transaction: the clinic set for it ends with it, as ClinicDb.SetClinic's does.
    private const string WarmUp = """
        select set_config('app.clinic_id', '00000000-0000-0000-0000-000000000000', true);
        select catalogue_is(catalogue_version());
        do $$ declare t regclass; begin
          for t in select c.oid from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attname = 'clinic_id' and not a.attisdropped
                    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and has_table_privilege(c.oid, 'select') loop
            execute format('explain select from %s where clinic_id = current_clinic_id()', t);
          end loop;
        end $$;
        """;

    public async Task StartAsync(CancellationToken ct)
    {
        var count = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MinPoolSize; // set by DatabaseSetup
        if (count == 0) return;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // All at once, so each is a connection of its own; back into the pool when done.
        var connections = await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            var conn = await dataSource.OpenConnectionAsync(ct);
            await conn.Command(WarmUp).RunAsync(ct);
            return conn;
        }));
        foreach (var conn in connections) await conn.DisposeAsync();
        logger.LogInformation("Warmed {Count} database connections in {Ms:F0} ms", count, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
