namespace ClinicPortal.Features.Webhooks;

/// <summary>One entry of the tool-calls answer: a result, or an error for that call only.</summary>
public sealed record ToolCallResult(string ToolCallId, string? Result = null, string? Error = null);

/// <summary>Runs each tool call of a message in order, one transaction each.</summary>
public sealed class ToolRunner(IEnumerable<ITool> tools)
{
    private readonly Dictionary<string, ITool> _byName = tools.ToDictionary(t => t.Name);

    public async Task<IReadOnlyList<ToolCallResult>> RunAsync(Guid clinic, string? callId, IReadOnlyList<ToolCallRequest> calls, CancellationToken ct)
    {
        var results = new List<ToolCallResult>(calls.Count);
        foreach (var call in calls)
        {
            if (!_byName.TryGetValue(call.Name, out var tool))
            {
                results.Add(new ToolCallResult(call.Id, Error: $"unknown tool '{call.Name}'; this server offers {string.Join(", ", _byName.Keys)}"));
                continue;
            }
            try
            {
                var result = await tool.RunAsync(new ToolContext(clinic, call.Id, callId), new ToolArguments(call.Arguments), ct);
                results.Add(new ToolCallResult(call.Id, Result: result));
            }
            catch (ToolArgumentException e)
            {
                results.Add(new ToolCallResult(call.Id, Error: e.Message));
            }
        }
        return results;
    }
}
