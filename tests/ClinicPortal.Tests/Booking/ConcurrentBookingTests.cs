using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Booking;

[Collection(PortalCollection.Name)]
public sealed class ConcurrentBookingTests(ClinicPortalFactory portal)
{
    [Theory]
    [InlineData(5)]
    [InlineData(50)]
    public async Task Callers_racing_for_one_slot_get_exactly_one_booking_and_conflicts_with_alternatives(int callers)
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Tuesday);
        using var client = clinic.Client();

        var results = await Task.WhenAll(Enumerable.Range(0, callers).Select(i =>
            clinic.BookAsync("dr-a", date, "10:00", "Consultation", phone: $"+4477014{i:D5}", client: client)));

        var statuses = results.Select(r => r.GetProperty("status").GetString()).ToList();
        Assert.Equal(1, statuses.Count(s => s == "booked"));
        Assert.Equal(callers - 1, statuses.Count(s => s == "conflict"));
        Assert.All(results.Where(r => r.GetProperty("status").GetString() == "conflict"),
            r => Assert.NotEmpty(r.GetProperty("alternatives").EnumerateArray()));
        Assert.Equal(1, await clinic.CountAsync("appointments"));
        Assert.Equal(callers - 1, await clinic.CountAsync("audit_log", "action = 'appointment.conflict'"));
        Assert.Equal(callers - 1, await clinic.CountAsync("events", "kind = 'collision'"));
    }

    [Fact]
    public async Task A_losers_alternatives_are_the_nearest_times_clear_of_the_providers_appointments_and_time_off()
    {
        var clinic = await portal.CreateClinicAsync(); // open 07:00-20:00 every day; a booking without a procedure takes 30 minutes
        var date = Dates.Upcoming(DayOfWeek.Tuesday);
        foreach (var time in new[] { "09:30", "10:00", "10:30" })
            Assert.Equal("booked", (await clinic.BookAsync("dr-a", date, time, phone: Phones.Unique())).GetProperty("status").GetString());
        await clinic.AddTimeOffInSqlAsync("dr-a", date, "11:00", "12:00");

        var lost = await clinic.BookAsync("dr-a", date, "10:00", phone: Phones.Unique());

        Assert.Equal("conflict", lost.GetProperty("status").GetString());
        var offered = lost.GetProperty("alternatives").EnumerateArray().Select(a => DateTimeOffset.Parse(a.GetProperty("starts_at").GetString()!)).ToList();
        // 09:00 is the nearest free start: every start after it and before 12:00 overlaps an appointment or the time off.
        Assert.Equal([new TimeSpan(8, 30, 0), new TimeSpan(8, 45, 0), new TimeSpan(9, 0, 0)], offered.Select(o => o.TimeOfDay));
        Assert.All(offered, o => Assert.Equal(date, o.ToString("yyyy-MM-dd")));
    }

    [Fact]
    public async Task A_returning_callers_booking_does_not_wait_for_a_transaction_that_holds_their_patient_row()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Thursday);
        Assert.Equal("booked", (await clinic.BookAsync("dr-a", date, "10:00", phone: "+447700100777")).GetProperty("status").GetString());

        await using var su = portal.Superuser();
        await su.OpenAsync();
        await using var tx = await su.BeginTransactionAsync();
        // Held as an update of the row would hold it (the old upsert's ON CONFLICT DO UPDATE did, until its commit).
        await su.ExecAsync("select 1 from patients where clinic_id = @Id and phone = '+447700100777' for no key update", new { clinic.Id }, tx);
        var second = clinic.BookAsync("dr-b", date, "11:00", phone: "+447700100777");
        var finished = await Task.WhenAny(second, Task.Delay(TimeSpan.FromSeconds(10))) == second;
        await tx.RollbackAsync();

        Assert.True(finished, "the booking waited for the patient's row");
        Assert.Equal("booked", (await second).GetProperty("status").GetString());
        Assert.Equal(1, await clinic.CountAsync("patients"));
    }

    [Fact]
    public async Task Bookings_of_different_slots_get_unique_confirmation_codes()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Wednesday);
        using var client = clinic.Client();
        var times = Enumerable.Range(0, 20).Select(i => $"{8 + i / 2:D2}:{i % 2 * 30:D2}").ToList();

        var results = await Task.WhenAll(times.Select(t => clinic.BookAsync("dr-a", date, t, "Consultation", client: client)));

        Assert.All(results, r => Assert.Equal("booked", r.GetProperty("status").GetString()));
        Assert.Equal(20, results.Select(r => r.GetProperty("confirmation_code").GetString()).Distinct().Count());
    }

    [Theory]
    [InlineData(5)]
    [InlineData(50)]
    public async Task Reschedules_racing_into_one_slot_move_exactly_one_and_leave_the_others_untouched(int callers)
    {
        var clinic = await portal.CreateClinicAsync();
        string[] days = [Dates.Upcoming(DayOfWeek.Monday), Dates.Upcoming(DayOfWeek.Tuesday)];
        var target = Dates.Upcoming(DayOfWeek.Friday);
        using var client = clinic.Client();
        var booked = new List<(string Code, string Phone, string StartsAt)>();
        for (var i = 0; i < callers; i++)
        {
            var phone = $"+4477001{i:D5}";
            var time = TimeSpan.FromHours(7) + TimeSpan.FromMinutes(30 * (i % 25));
            var r = await clinic.BookAsync("dr-a", days[i / 25], $"{time:hh\\:mm}", "Consultation", phone, client: client);
            Assert.Equal("booked", r.GetProperty("status").GetString());
            booked.Add((r.GetProperty("confirmation_code").GetString()!, phone, r.GetProperty("starts_at").GetString()!));
        }

        var results = await Task.WhenAll(booked.Select(b => clinic.CallToolAsync("reschedule_appointment",
            new { confirmation_code = b.Code, patient_phone = b.Phone, date = target, time = "12:00" }, client: client)));

        var statuses = results.Select(r => r.GetProperty("status").GetString()).ToList();
        Assert.Equal(1, statuses.Count(s => s == "rescheduled"));
        Assert.Equal(callers - 1, statuses.Count(s => s == "conflict"));
        Assert.Equal(1, await clinic.CountAsync("appointments", $"starts_at = '{target} 12:00 Europe/London'::timestamptz"));
        Assert.Equal(callers, await clinic.CountAsync("appointments", "status <> 'cancelled'"));
        for (var i = 0; i < callers; i++)
            if (statuses[i] == "conflict")
                Assert.Equal(1, await clinic.CountAsync("appointments",
                    $"confirmation_code = '{booked[i].Code}' and starts_at = '{booked[i].StartsAt}'::timestamptz"));
    }
}
