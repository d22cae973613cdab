namespace ClinicPortal.Features.Events;

public static class EventsFeature
{
    /// <summary>Commit wake-ups (NOTIFY after commit), the event feed every instance listens to, the in-process bus and the SignalR hub.</summary>
    public static IServiceCollection AddEvents(this IServiceCollection s)
    {
        s.AddSingleton<CommitSignal>();
        s.AddHostedService<EventWakeup>();
        s.AddSingleton<ClinicEventBus>();
        s.AddHostedService<EventFeed>();
        s.AddSignalR();
        s.AddHostedService<EventsHubRelay>();
        return s;
    }

    public static IEndpointRouteBuilder MapEventsHub(this IEndpointRouteBuilder app)
    {
        app.MapHub<EventsHub>(EventsHub.Path);
        return app;
    }
}
