using System.Text.Json;

namespace ClinicPortal.Features.Webhooks;

/// <summary>A tool call as Vapi sends it: {id, type: "function", function: {name, arguments}} (or name/arguments at the top).</summary>
public sealed record ToolCallRequest(string Id, string Name, JsonElement Arguments);

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

    public static IReadOnlyList<ToolCallRequest> ToolCalls(JsonElement message)
    {
        if (!message.TryGetProperty("toolCallList", out var list) || list.ValueKind != JsonValueKind.Array)
            throw new BadMessageException("message.toolCallList must be an array");
        if (list.GetArrayLength() is 0 or > 32)
            throw new BadMessageException("message.toolCallList must hold between 1 and 32 tool calls");
        var calls = new List<ToolCallRequest>();
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
                throw new BadMessageException("each tool call must be an object");
            var id = String(item, "id") ?? throw new BadMessageException("each tool call needs a string 'id'");
            if (id.Length > 200) throw new BadMessageException("a tool call id is longer than 200 characters");
            var function = item.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object ? f : item;
            var name = String(function, "name") ?? throw new BadMessageException($"tool call {id} needs a function name");
            calls.Add(new ToolCallRequest(id, name, Arguments(function, id)));
        }
        return calls;
    }

    /// <summary>Arguments arrive as a JSON object or as a JSON-encoded string of one.</summary>
    private static JsonElement Arguments(JsonElement function, string id)
    {
        if (!function.TryGetProperty("arguments", out var args) || args.ValueKind == JsonValueKind.Null)
            return JsonDocument.Parse("{}").RootElement;
        if (args.ValueKind == JsonValueKind.String)
        {
            try { args = JsonDocument.Parse(args.GetString()!).RootElement; }
            catch (JsonException) { throw new BadMessageException($"tool call {id}: arguments is a string but not JSON"); }
        }
        return args.ValueKind == JsonValueKind.Object ? args : throw new BadMessageException($"tool call {id}: arguments must be an object");
    }

    private static string? String(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString()) ? v.GetString() : null;
}
