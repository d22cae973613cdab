using ClinicPortal.Features.Appointments;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Appointments;

[Collection(PortalCollection.Name)]
public sealed class StatusChangeTests(ClinicPortalFactory portal)
{
    private AppointmentStore Store => portal.Services.GetRequiredService<AppointmentStore>();

    [Fact]
    public async Task Staff_status_changes_follow_the_allowed_transitions_and_are_audited_with_the_staff_actor()
    {
        var clinic = await portal.CreateClinicAsync();
        var booked = await clinic.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "10:00");
        var id = booked.GetProperty("appointment_id").GetGuid();

        Assert.True(await Store.ChangeStatusAsync(clinic.Id, id, "confirmed", "staff:reception@example.com"));
        Assert.False(await Store.ChangeStatusAsync(clinic.Id, id, "confirmed", "staff:reception@example.com")); // already confirmed
        Assert.True(await Store.ChangeStatusAsync(clinic.Id, id, "no_show", "staff:reception@example.com"));
        Assert.False(await Store.ChangeStatusAsync(clinic.Id, id, "cancelled", "staff:reception@example.com")); // no_show is final

        Assert.Equal(1, await clinic.CountAsync("appointments", "status = 'no_show'"));
        Assert.Equal(2, await clinic.CountAsync("audit_log", "actor = 'staff:reception@example.com' and action in ('appointment.confirmed', 'appointment.no_show')"));
        Assert.Equal(2, await clinic.CountAsync("events", "kind = 'status'"));
    }

    [Fact]
    public async Task Another_clinics_appointment_cannot_be_changed_even_by_id()
    {
        var mine = await portal.CreateClinicAsync();
        var theirs = await portal.CreateClinicAsync();
        var booked = await theirs.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "10:00");

        Assert.False(await Store.ChangeStatusAsync(mine.Id, booked.GetProperty("appointment_id").GetGuid(), "cancelled", "staff:intruder@example.com"));
        Assert.Equal(1, await theirs.CountAsync("appointments", "status = 'pending'"));
        Assert.Equal(0, await mine.CountAsync("audit_log"));
    }

    [Fact]
    public async Task The_grid_search_filters_by_text_and_status_and_pages()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Tuesday);
        for (var i = 0; i < 5; i++) await clinic.BookAsync("dr-a", date, $"{9 + i:D2}:00", phone: $"+44770010{i:D4}");
        var all = new AppointmentFilter(null, null, null, null, null);

        var (page1, total) = await Store.SearchAsync(clinic.Id, all, "StartsAt", descending: true, skip: 0, take: 2);
        var (byPhone, oneTotal) = await Store.SearchAsync(clinic.Id, all with { Text = "0100003" }, null, false, 0, 20);
        var (none, _) = await Store.SearchAsync(clinic.Id, all with { Status = "cancelled" }, null, false, 0, 20);

        Assert.Equal(5, total);
        Assert.Equal(2, page1.Count);
        Assert.True(page1[0].StartsAt > page1[1].StartsAt);
        Assert.Equal(1, oneTotal);
        Assert.Equal("+447700100003", byPhone.Single().Phone);
        Assert.Empty(none);
    }
}
