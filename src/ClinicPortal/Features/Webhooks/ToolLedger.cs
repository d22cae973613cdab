using ClinicPortal.Infrastructure.Database;
using Dapper;
using Npgsql;

namespace ClinicPortal.Features.Webhooks;

/// <summary>
/// Runs a tool call at most once per (clinic, toolCallId): the claim, the tool's effect and its
/// stored result share one transaction, and a replay gets the stored result. A concurrent duplicate
/// waits on the claim row and then reads the first one's result. (The booking and reschedule
/// functions in db/ do the same inside their single statement.)
/// </summary>
public sealed class ToolLedger(ClinicDb db)
{
    public async Task<string> RunOnceAsync(ToolContext ctx, string toolName,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<string>> work, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await ClinicDb.BeginClinicTransactionAsync(conn, ctx.ClinicId, ct);
        var claimed = await conn.ExecuteAsync("""
            insert into tool_calls (clinic_id, tool_call_id, call_id, tool_name)
            values (@ClinicId, @ToolCallId, @CallId, @toolName) on conflict do nothing
            """, new { ctx.ClinicId, ctx.ToolCallId, ctx.CallId, toolName }, tx);
        if (claimed == 0)
        {
            var stored = await conn.ExecuteScalarAsync<string>(
                "select result from tool_calls where clinic_id = @ClinicId and tool_call_id = @ToolCallId", ctx, tx);
            await tx.CommitAsync(ct);
            return stored ?? throw new InvalidOperationException($"tool call {ctx.ToolCallId} has no stored result");
        }
        var result = await work(conn, tx);
        await StoreAsync(conn, tx, ctx, result);
        await tx.CommitAsync(ct);
        return result;
    }

    /// <summary>Replaces a stored result (a conflict's answer gains its alternatives after the fact).</summary>
    public static Task StoreAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, ToolContext ctx, string result) =>
        conn.ExecuteAsync(ClinicDb.SetClinic + """
            update tool_calls set result = @result where clinic_id = @clinic and tool_call_id = @ToolCallId
            """, new { clinic = ctx.ClinicId, ctx.ToolCallId, result }, tx);
}
