using Npgsql;

namespace ClinicPortal.Features.Webhooks;

/// <summary>One entry of the tool-calls answer (Vapi's ToolCallResult): the call's id and tool name, and a result or an error for that call only.</summary>
public sealed record ToolCallResult(string ToolCallId, string Name, string? Result = null, string? Error = null);

/// <summary>
/// Runs each tool call of a message in order, one transaction each. A call that cannot run gets its own error and the
/// others still run: bad arguments, an unknown tool, a missing field, the database down or too slow. Nothing escapes as a 500.
/// </summary>
public sealed class ToolRunner(IEnumerable<ITool> tools, Operations.ClinicMetrics metrics, Latency.WebhookLatency counts, ILogger<ToolRunner> log)
{
    public const string Unavailable =
        "The booking system is temporarily unavailable. Tell the caller we could not do this right now and will call them back, or ask them to try again in a few minutes.";

    private readonly Dictionary<string, ITool> _byName = tools.ToDictionary(t => t.Name);

    public async Task<IReadOnlyList<ToolCallResult>> RunAsync(Guid clinic, string? callId, IReadOnlyList<ToolCallRequest> calls, CancellationToken ct)
    {
        var results = new List<ToolCallResult>(calls.Count);
        foreach (var call in calls) results.Add(await RunOneAsync(clinic, callId, call, ct));
        return results;
    }

    private async Task<ToolCallResult> RunOneAsync(Guid clinic, string? callId, ToolCallRequest call, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = await AnswerAsync(clinic, callId, call, ct);
        // The tool's name from the portal's own list only: a label never takes what a caller (or an attacker) sent.
        metrics.ToolCall(_byName.ContainsKey(call.Name) ? call.Name : "unknown", result.Result,
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        counts.RecordToolCall(clinic, failed: result.Error is not null);
        return result;
    }

    private async Task<ToolCallResult> AnswerAsync(Guid clinic, string? callId, ToolCallRequest call, CancellationToken ct)
    {
        if (call.Problem is { } problem) return new ToolCallResult(call.Id, call.Name, Error: problem);
        if (!_byName.TryGetValue(call.Name, out var tool))
            return new ToolCallResult(call.Id, call.Name, Error: $"unknown tool '{call.Name}'; this server offers {string.Join(", ", _byName.Keys)}");
        try
        {
            return new ToolCallResult(call.Id, call.Name, Result: await tool.RunAsync(new ToolContext(clinic, call.Id, callId), new ToolArguments(call.Arguments), ct));
        }
        catch (ToolArgumentException e)
        {
            return new ToolCallResult(call.Id, call.Name, Error: e.Message);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CharacterNotInRepertoire)
        {
            return new ToolCallResult(call.Id, call.Name, Error: "the call's id holds a NUL character (U+0000), which cannot be stored");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
        {
            log.LogError(e, "Tool call {ToolCallId} ({Tool}) could not reach the database", call.Id, call.Name);
            return new ToolCallResult(call.Id, call.Name, Error: Unavailable);
        }
    }
}
