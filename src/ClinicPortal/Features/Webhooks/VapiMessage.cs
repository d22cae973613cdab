using System.Text.Json;

namespace ClinicPortal.Features.Webhooks;

/// <summary>
/// A tool call as Vapi sends it: {id, type: "function", function: {name, arguments | parameters}} (or name and arguments at
/// the top). Problem is why it cannot run (arguments that are not a JSON object, no name): that call alone gets an error.
/// </summary>
public sealed record ToolCallRequest(string Id, string Name, JsonElement Arguments, string? Problem = null);

/// <summary>The tool calls of a message, and what was wrong with the list itself (the answer's top-level "error").</summary>
public sealed record ToolCallBatch(IReadOnlyList<ToolCallRequest> Calls, string? Problem);

/// <summary>The envelope was not a Vapi server message; the whole request gets a 400 and nothing is written.</summary>
public sealed class BadMessageException(string message) : Exception(message);

/// <summary>Reads Vapi's server-message envelope: {"message": {"type": ..., "call": {...}, ...}}.</summary>
public static class VapiMessage
{
    public static (string Type, string? CallId, JsonElement Message) ReadEnvelope(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
            throw new BadMessageException("the body must be a JSON object with a 'message' object");
        if (!message.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(type.GetString()))
            throw new BadMessageException("message.type must be a non-empty string");
        return (type.GetString()!, CallId(message), message);
    }

    public static string? CallId(JsonElement message) =>
        message.TryGetProperty("call", out var call) && call.ValueKind == JsonValueKind.Object
        && call.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;

    public const int MaxToolCalls = 32;

    /// <summary>
    /// The calls, from toolCallList, else toolWithToolCallList[].toolCall, else toolCalls (Vapi's shapes, docs/vapi.md).
    /// Nothing here throws: a call that cannot run carries its Problem, a list that cannot be read is the batch's Problem.
    /// </summary>
    public static ToolCallBatch ToolCalls(JsonElement message)
    {
        var items = Array(message, "toolCallList")?.ToList()
                    ?? Array(message, "toolWithToolCallList")?.Select(t => t.ValueKind == JsonValueKind.Object && t.TryGetProperty("toolCall", out var c) ? c : t).ToList()
                    ?? Array(message, "toolCalls")?.ToList();
        if (items is null) return new([], "the message has no toolCallList, toolWithToolCallList or toolCalls array");
        var calls = new List<ToolCallRequest>();
        var skipped = 0;
        foreach (var item in items.Take(MaxToolCalls))
        {
            var id = item.ValueKind == JsonValueKind.Object ? String(item, "id") : null;
            if (id is null || id.Length > 200)
            {
                skipped++; // an answer names its call by id: one without a usable id cannot be answered
                continue;
            }
            var function = item.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object ? f : item;
            var name = String(function, "name") ?? String(item, "name");
            if (name is null)
            {
                calls.Add(new ToolCallRequest(id, "", Empty, "the tool call names no function"));
                continue;
            }
            var (arguments, problem) = Arguments(function);
            calls.Add(new ToolCallRequest(id, name, arguments, problem));
        }
        var notes = new List<string>();
        if (skipped > 0) notes.Add($"{skipped} tool call(s) without a string id were not run");
        if (items.Count > MaxToolCalls) notes.Add($"only the first {MaxToolCalls} tool calls were run");
        if (items.Count == 0) notes.Add("the tool call list is empty");
        return new(calls, notes.Count == 0 ? null : string.Join("; ", notes));
    }

    private static readonly JsonElement Empty = JsonDocument.Parse("{}").RootElement;

    private static IEnumerable<JsonElement>? Array(JsonElement message, string name) =>
        message.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray() : null;

    /// <summary>Arguments arrive in function.arguments or function.parameters, as a JSON object or a JSON-encoded string of one.</summary>
    private static (JsonElement Arguments, string? Problem) Arguments(JsonElement function)
    {
        if (!function.TryGetProperty("arguments", out var args) || args.ValueKind == JsonValueKind.Null)
            if (!function.TryGetProperty("parameters", out args) || args.ValueKind == JsonValueKind.Null)
                return (Empty, null);
        if (args.ValueKind == JsonValueKind.String)
        {
            try { args = JsonDocument.Parse(args.GetString()!).RootElement; }
            catch (JsonException) { return (Empty, "the arguments are a string but not JSON"); }
        }
        return args.ValueKind == JsonValueKind.Object ? (args, null) : (Empty, "the arguments must be a JSON object");
    }

    private static string? String(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString()) ? v.GetString() : null;
}
