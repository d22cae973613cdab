using Npgsql;

namespace ClinicPortal.Infrastructure.Database;

/// <summary>
/// Plain Npgsql for the paths where one round trip matters (booking, webhooks, the outbox, the event feed) and for
/// infrastructure that runs before any clinic exists (migrations, setup). Named parameters (@name), typed from the
/// C# value so a null still has a type; rows are read by position. Everything else goes through EF Core (ClinicData).
/// </summary>
public static class Sql
{
    /// <summary>A command on this connection (and transaction, when there is one).</summary>
    public static NpgsqlCommand Command(this NpgsqlConnection conn, string sql, NpgsqlTransaction? tx = null) => new(sql, conn, tx);

    /// <summary>
    /// A batch that first sets the clinic (ClinicDb.SetClinic, parameter @clinic), so its statements share one implicit
    /// transaction and one round trip. Readers start past set_config's row.
    /// </summary>
    public static NpgsqlCommand ForClinic(this NpgsqlConnection conn, Guid clinic, string sql, NpgsqlTransaction? tx = null) =>
        new NpgsqlCommand(ClinicDb.SetClinic + sql, conn, tx).With("clinic", clinic);

    public static NpgsqlCommand With<T>(this NpgsqlCommand cmd, string name, T value)
    {
        cmd.Parameters.Add(new NpgsqlParameter<T>(name, value));
        return cmd;
    }

    /// <summary>Runs the command; the rows affected.</summary>
    public static async Task<int> RunAsync(this NpgsqlCommand cmd, CancellationToken ct = default)
    {
        await using (cmd) return await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A reader over the command's results, past set_config's row when the command was made by ForClinic.</summary>
    public static async Task<NpgsqlDataReader> ReaderAsync(this NpgsqlCommand cmd, CancellationToken ct = default)
    {
        var reader = await cmd.ExecuteReaderAsync(ct);
        try
        {
            if (cmd.CommandText.StartsWith(ClinicDb.SetClinic, StringComparison.Ordinal)) await reader.NextResultAsync(ct);
            return reader;
        }
        catch
        {
            // The batch's second statement failed (a check that stops it, say): the caller never gets the reader to dispose,
            // and a reader left open keeps the connection busy.
            await reader.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every row of the (first) result, mapped.</summary>
    public static async Task<List<T>> ListAsync<T>(this NpgsqlCommand cmd, Func<NpgsqlDataReader, T> row, CancellationToken ct = default)
    {
        await using (cmd)
        {
            await using var reader = await cmd.ReaderAsync(ct);
            return await reader.RowsAsync(row, ct);
        }
    }

    /// <summary>The first row of the (first) result mapped, or default when there is none.</summary>
    public static async Task<T?> FirstOrDefaultAsync<T>(this NpgsqlCommand cmd, Func<NpgsqlDataReader, T> row, CancellationToken ct = default)
    {
        await using (cmd)
        {
            await using var reader = await cmd.ReaderAsync(ct);
            return await reader.ReadAsync(ct) ? row(reader) : default;
        }
    }

    /// <summary>The first column of the first row, or default when there is no row or it is null.</summary>
    public static Task<T?> ScalarAsync<T>(this NpgsqlCommand cmd, CancellationToken ct = default) =>
        cmd.FirstOrDefaultAsync(r => r.Value<T>(0), ct);

    /// <summary>The rows of the reader's current result, then moves to the next result.</summary>
    public static async Task<List<T>> RowsAsync<T>(this NpgsqlDataReader reader, Func<NpgsqlDataReader, T> row, CancellationToken ct = default)
    {
        var rows = new List<T>();
        while (await reader.ReadAsync(ct)) rows.Add(row(reader));
        await reader.NextResultAsync(ct);
        return rows;
    }

    /// <summary>A column that may be null.</summary>
    public static T? Value<T>(this NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? default : r.GetFieldValue<T>(ordinal);
}
