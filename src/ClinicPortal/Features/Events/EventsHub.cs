using ClinicPortal.Features.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ClinicPortal.Features.Events;

/// <summary>
/// /hubs/events: the live events for clients that are not Blazor pages (wallboards, integrations),
/// signed in like staff (the portal's cookie). A connection joins its own clinic's group only; clients
/// receive "event" messages: { id, clinicId, kind, occurredAt, payload }.
/// </summary>
[Authorize]
public sealed class EventsHub(StaffConnections connections) : Hub
{
    public const string Path = "/hubs/events";

    public static string Group(Guid clinic) => "clinic:" + clinic;

    public override async Task OnConnectedAsync()
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, Group(Context.User!.Clinic()));
        connections.Opened(Context); // closed when the person's access ends
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Closed(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}

/// <summary>Forwards every committed event to the hub group of its clinic.</summary>
public sealed class EventsHubRelay(ClinicEventBus bus, IHubContext<EventsHub> hub) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken ct)
    {
        _subscription = bus.SubscribeEveryClinic(e => hub.Clients.Group(EventsHub.Group(e.ClinicId)).SendAsync("event", e, CancellationToken.None));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken ct)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }
}
