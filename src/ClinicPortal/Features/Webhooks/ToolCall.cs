using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ClinicPortal.Features.Webhooks;

/// <summary>Who is asking: the clinic (from the credential), the Vapi call and tool call ids.</summary>
public sealed record ToolContext(Guid ClinicId, string ToolCallId, string? CallId)
{
    public string Actor => CallId is null ? "vapi" : $"vapi:call:{CallId}";
}

/// <summary>One tool the voice agent can call. Returns the result JSON, or throws ToolArgumentException.</summary>
public interface ITool
{
    string Name { get; }
    Task<string> RunAsync(ToolContext context, ToolArguments args, CancellationToken ct);
}

/// <summary>The call cannot be executed as asked; becomes that entry's "error".</summary>
public sealed class ToolArgumentException(string message) : Exception(message);

/// <summary>Typed access to a tool call's arguments object, with clear messages for wrong shapes.</summary>
public sealed class ToolArguments(JsonElement obj)
{
    public string Required(string name) =>
        Optional(name) ?? throw new ToolArgumentException($"missing argument '{name}'");

    public string? Optional(string name)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String)
            throw new ToolArgumentException($"argument '{name}' must be a string");
        var s = v.GetString()!.Trim();
        if (s.Length > 2000) throw new ToolArgumentException($"argument '{name}' is too long");
        // PostgreSQL text cannot hold U+0000: refused here as bad input, not met later as a database error.
        if (s.Contains('\0')) throw new ToolArgumentException($"argument '{name}' contains a NUL character (U+0000)");
        return s.Length == 0 ? null : s;
    }
}

/// <summary>Results are single-line JSON strings with snake_case fields.</summary>
public static class ToolJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Results are read by an LLM, not embedded in HTML: keep '+' in offsets and '£' in prices as they are.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // The tools' answers have contracts made at compile time: built by reflection, they cost the first callers after a
        // start tens of milliseconds of CPU (docs/performance.md, eighth round). Any other shape is built as it comes.
        TypeInfoResolver = JsonTypeInfoResolver.Combine(ToolAnswerContracts.Default, new DefaultJsonTypeInfoResolver()),
    };

    public static string Serialize(object value) => JsonSerializer.Serialize(value, Options);

    public static string Invalid(string reason) => Serialize(new InvalidAnswer("invalid", reason));
}

public sealed record InvalidAnswer(string Status, string Reason);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InvalidAnswer))]
[JsonSerializable(typeof(Booking.BookedAnswer))]
[JsonSerializable(typeof(Booking.ConflictAnswer))]
[JsonSerializable(typeof(Booking.NotFoundAnswer))]
[JsonSerializable(typeof(Booking.AvailabilityAnswer))]
[JsonSerializable(typeof(Booking.CancelledAnswer))]
[JsonSerializable(typeof(Procedures.ProcedureAnswer))]
[JsonSerializable(typeof(Procedures.ProcedureNotFoundAnswer))]
internal sealed partial class ToolAnswerContracts : JsonSerializerContext;
