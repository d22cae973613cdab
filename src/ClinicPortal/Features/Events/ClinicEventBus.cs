using System.Collections.Concurrent;
using System.Text.Json;

namespace ClinicPortal.Features.Events;

/// <summary>One committed event of one clinic (a row of the events table).</summary>
public sealed record ClinicEvent(long Id, Guid ClinicId, string Kind, DateTime OccurredAt, JsonElement Payload)
{
    /// <summary>The payload as its record (EventKinds.cs); an appointment's event for the booking, cancellation, reschedule, status and collision kinds.</summary>
    public T As<T>() => Payload.Deserialize<T>(EventPayloads.Json)!;

    public AppointmentEventPayload Appointment => _appointment ??= As<AppointmentEventPayload>();

    private AppointmentEventPayload? _appointment; // read once: feeds render the same events again and again
}

/// <summary>
/// The in-process notifier: the listener publishes each committed event; dashboards subscribe for
/// their clinic and get only that clinic's events. Handlers run on the publisher's thread, so a
/// component marshals onto its own with InvokeAsync.
/// </summary>
public sealed class ClinicEventBus(ILogger<ClinicEventBus> logger)
{
    private readonly ConcurrentDictionary<Guid, ImmutableHandlers> _byClinic = new();
    private volatile ImmutableHandlers _everyClinic = new([]);

    private sealed record ImmutableHandlers(IReadOnlyList<Func<ClinicEvent, Task>> Handlers);

    public IDisposable Subscribe(Guid clinicId, Func<ClinicEvent, Task> handler)
    {
        _byClinic.AddOrUpdate(clinicId, _ => new([handler]), (_, h) => new([.. h.Handlers, handler]));
        return new Subscription(() => _byClinic.AddOrUpdate(clinicId, _ => new([]), (_, h) => new(h.Handlers.Where(x => x != handler).ToList())));
    }

    /// <summary>For relays that route by clinic themselves (the SignalR hub sends each event to its clinic's group only).</summary>
    public IDisposable SubscribeEveryClinic(Func<ClinicEvent, Task> handler)
    {
        lock (_byClinic) _everyClinic = new([.. _everyClinic.Handlers, handler]);
        return new Subscription(() => { lock (_byClinic) _everyClinic = new(_everyClinic.Handlers.Where(x => x != handler).ToList()); });
    }

    public int SubscriberCount(Guid clinicId) => _byClinic.TryGetValue(clinicId, out var h) ? h.Handlers.Count : 0;

    /// <summary>Live pages subscribed, over every clinic (a metric).</summary>
    public int TotalSubscribers => _byClinic.Values.Sum(h => h.Handlers.Count);

    public async Task PublishAsync(ClinicEvent e)
    {
        var handlers = _everyClinic.Handlers.Concat(_byClinic.TryGetValue(e.ClinicId, out var subscribers) ? subscribers.Handlers : []);
        foreach (var handler in handlers)
        {
            try { await handler(e); }
            catch (ObjectDisposedException) { } // a circuit went away between the lookup and the call
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // One broken dashboard must not stop the others from getting the event.
                logger.LogError(ex, "A subscriber failed on event {EventId}", e.Id);
            }
        }
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private int _disposed;
        public void Dispose() { if (Interlocked.Exchange(ref _disposed, 1) == 0) dispose(); }
    }
}
