using Npgsql;

namespace ClinicPortal.Infrastructure.Database;

/// <summary>
/// Connections as the runtime role. Every statement that touches clinic data runs in a transaction
/// that first sets the clinic (transaction scope, so a pooled connection never carries it over).
/// </summary>
public sealed class ClinicDb(NpgsqlDataSource dataSource)
{
    /// <summary>Prefix for a batch that runs as one implicit transaction (one round trip).</summary>
    public const string SetClinic = "select set_config('app.clinic_id', @clinic::text, true);";

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken ct = default) => dataSource.OpenConnectionAsync(ct);

    /// <summary>Opens a transaction scoped to one clinic; the BEGIN travels with set_config.</summary>
    public static async Task<NpgsqlTransaction> BeginClinicTransactionAsync(NpgsqlConnection conn, Guid clinicId, CancellationToken ct = default)
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

public static class ClinicQueries
{
    /// <summary>
    /// Runs SQL after setting the clinic (parameter @clinic) in the same batch, so the statements share
    /// one implicit transaction and one round trip. The returned reader is past set_config's row.
    /// </summary>
    public static async Task<Dapper.SqlMapper.GridReader> QueryForClinicAsync(this NpgsqlConnection conn, string sql, object param,
        NpgsqlTransaction? tx = null)
    {
        var grid = await Dapper.SqlMapper.QueryMultipleAsync(conn, ClinicDb.SetClinic + sql, param, tx);
        await grid.ReadAsync();
        return grid;
    }
}
