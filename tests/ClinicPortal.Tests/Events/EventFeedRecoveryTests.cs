using ClinicPortal.Features.Events;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Events;

[Collection(PortalCollection.Name)]
public sealed class EventFeedRecoveryTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task Events_committed_while_the_listener_is_cut_off_are_delivered_after_it_reconnects()
    {
        var clinic = await portal.CreateClinicAsync();
        var received = new TaskCompletionSource<ClinicEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bus = portal.Services.GetRequiredService<ClinicEventBus>();
        using var subscription = bus.Subscribe(clinic.Id, e =>
        {
            if (e.Kind == "booking") received.TrySetResult(e);
            return Task.CompletedTask;
        });
        await clinic.CallToolAsync("lookup_procedure", new { query = "botox" }); // the feed is up and following

        await using (var su = portal.Superuser())
        {
            var killed = await su.ScalarAsync<int>("""
                select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity
                 where usename = 'clinic_app' and (query ilike '%events_since%' or query ilike 'listen %')) k
                """);
            Assert.True(killed >= 1, "the listener's connection was not found");
        }
        var booked = await clinic.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "10:00");

        var e = await received.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(booked.GetProperty("appointment_id").GetGuid(), e.Appointment.AppointmentId);
    }
}
