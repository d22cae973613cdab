using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Webhooks;

/// <summary>
/// Runs a tool call at most once per (clinic, toolCallId): the claim, the tool's effect and its
/// stored result share one transaction, and a replay gets the stored result. A concurrent duplicate
/// waits on the claim row and then reads the first one's result. (The booking and reschedule
/// functions in db/ call the same claim_tool_call inside their single statement.) A tool that only reads answers through
/// AnswerOnceAsync instead: worked out first, then recorded in one statement.
/// </summary>
public sealed class ToolLedger(ClinicDb db)
{
    public async Task<string> RunOnceAsync(ToolContext ctx, string toolName,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<string>> work, CancellationToken ct)
    {
        return await db.WriteAsync(ctx.ClinicId, async (conn, tx) =>
        {
            var (claimed, stored) = (await conn.Command("select claimed, stored_result from claim_tool_call(@toolCallId, @callId, @toolName)", tx)
                .With("toolCallId", ctx.ToolCallId).With("callId", ctx.CallId).With("toolName", toolName)
                .ListAsync(r => (r.GetBoolean(0), r.Value<string>(1)), ct)).Single();
            if (!claimed) return stored ?? throw new InvalidOperationException($"tool call {ctx.ToolCallId} has no stored result");
            var result = await work(conn, tx);
            await conn.Command("update tool_calls set result = @result where clinic_id = @clinic and tool_call_id = @toolCallId", tx)
                .With("clinic", ctx.ClinicId).With("toolCallId", ctx.ToolCallId).With("result", result).RunAsync(ct);
            return result;
        }, ct);
    }

    /// <summary>
    /// For a tool that only reads (check_availability, lookup_procedure): the answer is worked out first, then recorded in
    /// one statement (record_tool_answer, db/migrations/0026) that keeps the first answer to this tool call id and returns
    /// it. A replay or a concurrent duplicate reads again and gets the stored answer, as with RunOnceAsync. Two round trips
    /// and no transaction held open; the record commits without waiting for its WAL flush (synchronous_commit off for that
    /// transaction): after a database crash the last fraction of a second of such records can be missing, and a replay
    /// then works the answer out again. Nothing is signalled: the record writes no event, audit row or text.
    /// </summary>
    public async Task<string> AnswerOnceAsync(ToolContext ctx, string toolName, Func<NpgsqlConnection, Task<string>> read, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var answer = await read(conn);
        return await conn.ForClinic(ctx.ClinicId, "select record_tool_answer(@toolCallId, @callId, @toolName, @answer);")
            .With("toolCallId", ctx.ToolCallId).With("callId", ctx.CallId).With("toolName", toolName).With("answer", answer)
            .ScalarAsync<string>(ct) ?? answer;
    }
}
