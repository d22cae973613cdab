using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Booking;

[Collection(PortalCollection.Name)]
public sealed class BookingRulesTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task An_overlap_with_a_different_duration_conflicts()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Monday);
        Assert.Equal("booked", (await clinic.BookAsync("dr-a", date, "10:30", "Consultation")).GetProperty("status").GetString());
        // Liquid rhinoplasty is 45 minutes: 10:00-10:45 overlaps 10:30-11:00.
        var second = await clinic.BookAsync("dr-a", date, "10:00", "Liquid rhinoplasty", phone: "+447700100002");
        Assert.Equal("conflict", second.GetProperty("status").GetString());
        Assert.Equal(1, await clinic.CountAsync("appointments"));
    }

    [Fact]
    public async Task Back_to_back_appointments_both_book()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Monday);
        Assert.Equal("booked", (await clinic.BookAsync("dr-a", date, "10:00", "Consultation")).GetProperty("status").GetString());
        Assert.Equal("booked", (await clinic.BookAsync("dr-a", date, "10:30", "Consultation", "+447700100002")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Two_providers_at_the_same_time_both_book()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Monday);
        Assert.Equal("booked", (await clinic.BookAsync("dr-a", date, "11:00", "Consultation")).GetProperty("status").GetString());
        Assert.Equal("booked", (await clinic.BookAsync("dr-b", date, "11:00", "Consultation", "+447700100002")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_buffer_after_the_procedure_blocks_the_next_start()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Monday);
        // Lip filler: 45 minutes plus 15 of buffer, so 10:00 blocks dr-a until 11:00.
        Assert.Equal("booked", (await clinic.BookAsync("dr-a", date, "10:00", "Lip filler")).GetProperty("status").GetString());
        Assert.Equal("conflict", (await clinic.BookAsync("dr-a", date, "10:45", "Consultation", "+447700100002")).GetProperty("status").GetString());
        Assert.Equal("booked", (await clinic.BookAsync("dr-a", date, "11:00", "Consultation", "+447700100003")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Replaying_a_tool_call_id_returns_the_stored_result_and_books_nothing_more()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Monday);
        var id = TestClinic.NewToolCallId();
        var first = await clinic.BookAsync("dr-a", date, "09:00", toolCallId: id);
        var replays = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => clinic.BookAsync("dr-a", date, "09:00", toolCallId: id)));

        Assert.All(replays, r => Assert.Equal(first.ToString(), r.ToString()));
        Assert.Equal(1, await clinic.CountAsync("appointments"));
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'appointment.booked'"));
    }

    [Fact]
    public async Task Replaying_a_tool_call_that_lost_its_slot_returns_its_conflict_not_the_booking_it_claimed_with()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Monday);
        Assert.Equal("booked", (await clinic.BookAsync("dr-a", date, "09:00")).GetProperty("status").GetString());
        var id = TestClinic.NewToolCallId();
        var lost = await clinic.BookAsync("dr-a", date, "09:00", phone: "+447700100002", toolCallId: id);
        var replay = await clinic.BookAsync("dr-a", date, "09:00", phone: "+447700100002", toolCallId: id);

        Assert.Equal("conflict", lost.GetProperty("status").GetString());
        Assert.Equal(lost.ToString(), replay.ToString()); // with the alternatives it was offered
        Assert.Equal(1, await clinic.CountAsync("tool_calls", $"tool_call_id = '{id}' and outcome = 'conflict'"));
        Assert.Equal(1, await clinic.CountAsync("appointments"));
    }

    [Fact]
    public async Task Replaying_an_availability_call_returns_its_first_answer_even_after_the_slot_was_taken()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Monday);
        var id = TestClinic.NewToolCallId();
        var first = await clinic.CallToolAsync("check_availability", new { date, provider = "dr-a" }, id);
        var firstSlot = first.GetProperty("slots")[0].GetProperty("starts_at").GetString()!;
        Assert.Equal("booked", (await clinic.BookAsync("dr-a", date, firstSlot[11..16])).GetProperty("status").GetString());

        var replays = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => clinic.CallToolAsync("check_availability", new { date, provider = "dr-a" }, id)));
        var fresh = await clinic.CallToolAsync("check_availability", new { date, provider = "dr-a" });

        Assert.All(replays, r => Assert.Equal(first.ToString(), r.ToString()));
        Assert.NotEqual(firstSlot, fresh.GetProperty("slots")[0].GetProperty("starts_at").GetString());
        Assert.Equal(1, await clinic.CountAsync("tool_calls", $"tool_call_id = '{id}' and result is not null"));
    }

    [Fact]
    public async Task A_cancelled_slot_can_be_booked_again()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Monday);
        var booked = await clinic.BookAsync("dr-a", date, "14:00", phone: "+447700100111");
        var cancel = await clinic.CallToolAsync("cancel_appointment",
            new { confirmation_code = booked.GetProperty("confirmation_code").GetString(), patient_phone = "07700 100111" });
        Assert.Equal("cancelled", cancel.GetProperty("status").GetString());
        Assert.Equal("booked", (await clinic.BookAsync("dr-a", date, "14:00", phone: "+447700100222")).GetProperty("status").GetString());
        var again = await clinic.CallToolAsync("cancel_appointment",
            new { confirmation_code = booked.GetProperty("confirmation_code").GetString(), patient_phone = "+447700100111" });
        Assert.Equal("not_found", again.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("dr-nobody", "10:00", "+447700100001", null, "no provider")]
    [InlineData("dr-a", "10:00", "12345", null, "phone number")]
    [InlineData("dr-a", "21:00", "+447700100001", null, "working hours")]
    [InlineData("dr-a", "10:00", "+447700100001", "tattoo removal", "does not offer")]
    public async Task Bookings_that_cannot_be_made_are_invalid_with_a_reason(string provider, string time, string phone, string? procedure, string reason)
    {
        var clinic = await portal.CreateClinicAsync();
        var r = await clinic.BookAsync(provider, Dates.Upcoming(DayOfWeek.Monday), time, procedure, phone);
        Assert.Equal("invalid", r.GetProperty("status").GetString());
        Assert.Contains(reason, r.GetProperty("reason").GetString());
        Assert.Equal(0, await clinic.CountAsync("appointments"));
    }

    [Fact]
    public async Task A_time_in_the_past_is_invalid()
    {
        var clinic = await portal.CreateClinicAsync();
        var r = await clinic.BookAsync("dr-a", DateTime.UtcNow.AddDays(-2).ToString("yyyy-MM-dd"), "10:00");
        Assert.Equal("invalid", r.GetProperty("status").GetString());
        Assert.Contains("past", r.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Availability_leaves_out_booked_times_and_honours_time_of_day()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Monday);
        await clinic.BookAsync("dr-a", date, "07:00", "Consultation");
        var r = await clinic.CallToolAsync("check_availability", new { date, provider = "dr-a", procedure = "consultation", time_of_day = "morning" });
        Assert.Equal("ok", r.GetProperty("status").GetString());
        var starts = r.GetProperty("slots").EnumerateArray().Select(s => s.GetProperty("starts_at").GetString()).ToList();
        Assert.Equal(5, starts.Count);
        Assert.DoesNotContain(starts, s => s!.Contains("T07:00"));
        Assert.Contains(starts, s => s!.Contains("T07:30"));
        var evening = await clinic.CallToolAsync("check_availability", new { date, time_of_day = "evening" });
        Assert.All(evening.GetProperty("slots").EnumerateArray(), s => Assert.Matches("T(17|18|19):", s.GetProperty("starts_at").GetString()));
    }
}
