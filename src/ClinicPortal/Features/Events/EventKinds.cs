using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ClinicPortal.Features.Events;

/// <summary>
/// The kinds of the events table's rows, as emit_event writes them (SQL in db/migrations and beside the
/// features), and as the dashboard, the hub and live pages read them. One name per kind, used everywhere in C#.
/// </summary>
public static class EventKinds
{
    public const string Booking = "booking";
    public const string Cancellation = "cancellation";
    public const string Reschedule = "reschedule";
    /// <summary>A caller lost the race for a slot.</summary>
    public const string Collision = "collision";
    /// <summary>The times offered to the loser of a collision (keyed to it by "attempt").</summary>
    public const string AlternativesOffered = "alternatives_offered";
    /// <summary>An appointment's status changed (confirmed, completed, no-show, expired ...).</summary>
    public const string Status = "status";
    public const string Call = "call";
    public const string Sms = "sms";
    /// <summary>New webhook latency figures were flushed.</summary>
    public const string Latency = "latency";
    /// <summary>An alert fired or resolved (Features/Alerts).</summary>
    public const string Alert = "alert";
}

/// <summary>
/// The payload of an appointment's event (booking, cancellation, reschedule, status, collision), as the emitters write it
/// (the booking functions in db/migrations merge the same names) and the dashboard reads it. Absent fields are null.
/// </summary>
public sealed record AppointmentEventPayload(
    Guid? AppointmentId = null, string? Provider = null, string? ProviderName = null, string? Procedure = null, string? PatientName = null,
    DateTimeOffset? StartsAt = null, DateTimeOffset? PreviousStartsAt = null, string? Status = null, string? Source = null, string? Actor = null,
    string? CallId = null, Guid? Attempt = null);

/// <summary>The times offered to the loser of a collision; Attempt is the collision's.</summary>
public sealed record AlternativesOfferedPayload(Guid Attempt, IReadOnlyList<DateTimeOffset> Alternatives);

public sealed record CallEventPayload(string CallId, string Status);

/// <summary>
/// How payloads are written and read: snake_case names, nulls left out. The payloads above have contracts made at compile
/// time, as the tools' answers do (ToolJson); other types read from events are built as they come.
/// </summary>
public static class EventPayloads
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(EventPayloadContracts.Default, new DefaultJsonTypeInfoResolver()),
    };

    public static string Serialize<T>(T payload) => JsonSerializer.Serialize(payload, Json);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AppointmentEventPayload))]
[JsonSerializable(typeof(AlternativesOfferedPayload))]
[JsonSerializable(typeof(CallEventPayload))]
internal sealed partial class EventPayloadContracts : JsonSerializerContext;
