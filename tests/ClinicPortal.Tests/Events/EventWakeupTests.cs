using ClinicPortal.Features.Events;
using ClinicPortal.Tests.Support;
using Npgsql;

namespace ClinicPortal.Tests.Events;

[Collection(PortalCollection.Name)]
public sealed class EventWakeupTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task A_booking_commits_an_event_row_and_listeners_are_woken_after_commit()
    {
        var clinic = await portal.CreateClinicAsync();
        await using var listener = portal.Superuser();
        await listener.OpenAsync();
        var woken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, _) => woken.TrySetResult();
        await listener.ExecAsync($"listen {EventWakeup.Channel}");

        var booked = await clinic.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "10:00");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!woken.Task.IsCompleted) await listener.WaitAsync(timeout.Token);

        var payload = await listener.ScalarAsync<string>(
            "select payload::text from events where clinic_id = @Id and kind = 'booking'", new { clinic.Id });
        Assert.Contains(booked.GetProperty("appointment_id").GetString()!, payload);
        Assert.Contains("\"provider\": \"dr-a\"", payload);
    }
}
