using System.Diagnostics.Metrics;
using System.Text.Json;

namespace ClinicPortal.Features.Operations;

/// <summary>
/// The portal's own metrics (meter "ClinicPortal"; docs/operations.md), next to the built-in ASP.NET Core, Kestrel,
/// SignalR, Npgsql and .NET runtime ones. Labels carry only bounded, non-personal values: a tool's name from the portal's
/// own list, an outcome status word, a source (voice or staff), a text status. Never a clinic's patient, phone or name.
/// </summary>
public sealed class ClinicMetrics : IDisposable
{
    public const string MeterName = "ClinicPortal";

    private readonly Meter _meter = new(MeterName);

    /// <summary>This instance's meter (each portal has its own: tests listen to one portal's).</summary>
    internal Meter Meter => _meter;
    private readonly Histogram<double> _toolDuration;
    private readonly Counter<long> _appointments;
    private readonly Counter<long> _texts;
    private readonly Histogram<double> _queueToTwilio;
    private long _circuits;
    private long _caughtUpAt = Environment.TickCount64;
    private double _feedLagSeconds;

    public ClinicMetrics(Events.ClinicEventBus bus)
    {
        _toolDuration = _meter.CreateHistogram<double>("clinicportal.webhook.tool.duration", "ms",
            "Time to answer one Vapi tool call, by tool and outcome (the status the assistant was given, or error).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 15, 25, 50, 100, 250, 500, 1000, 2500, 7500] });
        _appointments = _meter.CreateCounter<long>("clinicportal.appointments", "{appointment}",
            "Appointment changes by kind (booked, conflict, rescheduled, cancelled) and source (voice, staff).");
        _texts = _meter.CreateCounter<long>("clinicportal.texts", "{text}", "Texts by status: queued (first attempt), sent, failed, and the others.");
        _queueToTwilio = _meter.CreateHistogram<double>("clinicportal.texts.queue_to_twilio", "s", "From a text's queueing to Twilio accepting it.");
        _meter.CreateObservableGauge("clinicportal.circuits.open", () => Interlocked.Read(ref _circuits), "{circuit}", "Open Blazor circuits (staff pages).");
        _meter.CreateObservableGauge("clinicportal.live_pages.open", () => (long)bus.TotalSubscribers, "{page}",
            "Staff pages following the clinic's events live (dashboards and the other live pages).");
        _meter.CreateObservableGauge("clinicportal.audit.sealer_lag", () => (Environment.TickCount64 - Interlocked.Read(ref _caughtUpAt)) / 1000.0, "s",
            "Time since this instance's audit sealer last had nothing left to seal (grows while it falls behind or fails).");
        _meter.CreateObservableGauge("clinicportal.events.feed_lag", () => Volatile.Read(ref _feedLagSeconds), "s",
            "For the last event this instance published: the time from its commit to its publication to live pages.");
    }

    /// <summary>A tool call's time and outcome: the result's status word, or "error" when it could not run.</summary>
    public void ToolCall(string tool, string? result, double milliseconds) =>
        _toolDuration.Record(milliseconds, new("tool", tool), new("outcome", Outcome(result)));

    public void Appointment(string change, string source) => _appointments.Add(1, new("change", change), new("source", source));

    public void Text(string status) => _texts.Add(1, new KeyValuePair<string, object?>("status", status));

    public void TextAccepted(TimeSpan sinceQueued) => _queueToTwilio.Record(sinceQueued.TotalSeconds);

    public void CircuitOpened() => Interlocked.Increment(ref _circuits);

    public void CircuitClosed() => Interlocked.Decrement(ref _circuits);

    public void SealerCaughtUp() => Interlocked.Exchange(ref _caughtUpAt, Environment.TickCount64);

    public void EventPublished(DateTime occurredAtUtc) => Volatile.Write(ref _feedLagSeconds, Math.Max(0, (DateTime.UtcNow - occurredAtUtc).TotalSeconds));

    /// <summary>The "status" of a tool's JSON answer (a short word the portal chose), or "error".</summary>
    private static string Outcome(string? result)
    {
        if (result is null) return "error";
        try
        {
            using var doc = JsonDocument.Parse(result);
            return doc.RootElement.TryGetProperty("status", out var s) && s.GetString() is { Length: > 0 and <= 32 } word ? word : "other";
        }
        catch (JsonException)
        {
            return "other";
        }
    }

    public void Dispose() => _meter.Dispose();
}
