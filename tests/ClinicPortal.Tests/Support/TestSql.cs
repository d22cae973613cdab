using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Tests.Support;

/// <summary>
/// Tests' direct SQL (as the superuser or owner, to look behind the app): the app's Sql helpers, with the parameters taken
/// from an anonymous object's properties (new { clinic.Id } binds @Id).
/// </summary>
public static class TestSql
{
    /// <summary>A command with @names bound from args' properties; opens the connection if it is closed.</summary>
    public static NpgsqlCommand Sql(this NpgsqlConnection conn, string sql, object? args = null, NpgsqlTransaction? tx = null)
    {
        if (conn.State == System.Data.ConnectionState.Closed) conn.Open();
        var cmd = conn.Command(sql, tx);
        foreach (var p in args?.GetType().GetProperties() ?? [])
            cmd.Parameters.AddWithValue(p.Name, p.GetValue(args) ?? DBNull.Value);
        return cmd;
    }

    public static Task<int> ExecAsync(this NpgsqlConnection conn, string sql, object? args = null, NpgsqlTransaction? tx = null) =>
        conn.Sql(sql, args, tx).RunAsync();

    public static Task<T?> ScalarAsync<T>(this NpgsqlConnection conn, string sql, object? args = null, NpgsqlTransaction? tx = null) =>
        conn.Sql(sql, args, tx).ScalarAsync<T>();

    /// <summary>The first column of every row.</summary>
    public static Task<List<T>> ColumnAsync<T>(this NpgsqlConnection conn, string sql, object? args = null, NpgsqlTransaction? tx = null) =>
        conn.Sql(sql, args, tx).ListAsync(r => r.GetFieldValue<T>(0));
}
