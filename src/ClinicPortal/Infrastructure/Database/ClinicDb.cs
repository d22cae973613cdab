using ClinicPortal.Features.Events;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ClinicPortal.Infrastructure.Database;

/// <summary>
/// The unit of work: every statement that touches clinic data runs in a transaction that first sets the clinic
/// (transaction scope, so a pooled connection never carries it over), and every write wakes the event feed, the
/// audit sealer and the text dispatcher after it commits. Features call WriteAsync (an explicit transaction for
/// several statements with decisions between them), RunAsync (one round trip: a batch that starts with SetClinic
/// runs as one implicit transaction), WriteDataAsync and ReadDataAsync (the same through EF Core); none of them begins,
/// commits or signals by hand.
/// </summary>
public sealed class ClinicDb(NpgsqlDataSource dataSource, CommitSignal committed, IDbContextFactory<ClinicData> contexts)
{
    /// <summary>Prefix for a batch that runs as one implicit transaction (one round trip).</summary>
    public const string SetClinic = "select set_config('app.clinic_id', @clinic::text, true);";

    /// <summary>A connection for work that is not one clinic's (cross-clinic SECURITY DEFINER functions, the event feed).</summary>
    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken ct = default) => dataSource.OpenConnectionAsync(ct);

    /// <summary>Drops the idle pooled connections (after the database went away, they are dead).</summary>
    public void ClearPool() => dataSource.Clear();

    /// <summary>Several statements in one transaction under the clinic; committed, then listeners are woken. An exception rolls it all back.</summary>
    public async Task<T> WriteAsync<T>(Guid clinic, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await BeginClinicTransactionAsync(conn, clinic, ct);
        var result = await work(conn, tx);
        await tx.CommitAsync(ct);
        committed.Signal();
        return result;
    }

    public Task WriteAsync(Guid clinic, Func<NpgsqlConnection, NpgsqlTransaction, Task> work, CancellationToken ct = default) =>
        WriteAsync(clinic, async (conn, tx) => { await work(conn, tx); return true; }, ct);

    /// <summary>
    /// Work whose statements each start with SetClinic and commit on their own (one round trip each, the booking hot path);
    /// listeners are woken when it is done.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var result = await work(conn);
        committed.Signal();
        return result;
    }

    /// <summary>The same unit of work through EF Core: one transaction under the clinic, committed, then listeners are woken.</summary>
    public async Task<T> WriteDataAsync<T>(Guid clinic, Func<ClinicData, Task<T>> work, CancellationToken ct = default)
    {
        await using var data = await contexts.CreateDbContextAsync(ct);
        await using var tx = await BeginClinicTransactionAsync(data, clinic, ct);
        var result = await work(data);
        await tx.CommitAsync(ct);
        committed.Signal();
        return result;
    }

    /// <summary>Plain SQL reads under the clinic, in one transaction; nothing is committed and no listener is woken.</summary>
    public async Task<T> ReadAsync<T>(Guid clinic, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> read, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await BeginClinicTransactionAsync(conn, clinic, ct);
        return await read(conn, tx);
    }

    /// <summary>LINQ reads (EF Core) under the clinic, in one transaction; nothing is committed.</summary>
    public async Task<T> ReadDataAsync<T>(Guid clinic, Func<ClinicData, Task<T>> read, CancellationToken ct = default)
    {
        await using var data = await contexts.CreateDbContextAsync(ct);
        await using var tx = await BeginClinicTransactionAsync(data, clinic, ct);
        return await read(data);
    }

    /// <summary>
    /// Reads before any clinic is known (no clinic set: row-level security shows no clinic's rows). For the SECURITY DEFINER
    /// functions that find a clinic from a public link or a phone number, and nothing else.
    /// </summary>
    public async Task<T> ReadUnscopedAsync<T>(Func<ClinicData, Task<T>> read, CancellationToken ct = default)
    {
        await using var data = await contexts.CreateDbContextAsync(ct);
        return await read(data);
    }

    /// <summary>The same for an EF Core context: its transaction, with the clinic set for that transaction only.</summary>
    private static async Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction> BeginClinicTransactionAsync(ClinicData data, Guid clinic,
        CancellationToken ct)
    {
        var tx = await data.Database.BeginTransactionAsync(ct);
        await data.Database.ExecuteSqlAsync($"select set_config('app.clinic_id', {clinic.ToString()}, true)", ct);
        return tx;
    }

    /// <summary>Opens a transaction scoped to one clinic; the BEGIN travels with set_config.</summary>
    private static async Task<NpgsqlTransaction> BeginClinicTransactionAsync(NpgsqlConnection conn, Guid clinicId, CancellationToken ct)
    {
        var tx = await conn.BeginTransactionAsync(ct);
        await using var cmd = new NpgsqlCommand("select set_config('app.clinic_id', $1, true)", conn, tx);
        cmd.Parameters.AddWithValue(clinicId.ToString());
        await cmd.ExecuteNonQueryAsync(ct);
        return tx;
    }
}

/// <summary>How to reach the database: the runtime role, and the owner that runs migrations.</summary>
public sealed record DatabaseConnections(string App, string Owner, bool Embedded);
