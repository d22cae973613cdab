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
}
