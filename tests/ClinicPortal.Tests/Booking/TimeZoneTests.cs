using ClinicPortal.Features.Clinics;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Booking;

[Collection(PortalCollection.Name)]
public sealed class TimeZoneTests(ClinicPortalFactory portal)
{
    private static readonly WorkingDay[] SundayNight = [new(7, new TimeOnly(0, 0), new TimeOnly(4, 0))];

    [Fact]
    public async Task A_local_time_in_the_spring_forward_gap_is_invalid()
    {
        var clinic = await portal.CreateClinicAsync(SundayNight);
        // 28 March 2027: UK clocks go from 01:00 to 02:00.
        var r = await clinic.BookAsync("dr-a", "2027-03-28", "01:30");
        Assert.Equal("invalid", r.GetProperty("status").GetString());
        Assert.Contains("does not exist", r.GetProperty("reason").GetString());
        var after = await clinic.BookAsync("dr-a", "2027-03-28", "02:00");
        Assert.Equal("2027-03-28T02:00:00+01:00", after.GetProperty("starts_at").GetString());
    }

    [Fact]
    public async Task Slots_on_the_autumn_change_carry_the_right_offsets()
    {
        var clinic = await portal.CreateClinicAsync(SundayNight);
        // 31 October 2027: UK clocks go back from 02:00 BST to 01:00 GMT.
        var r = await clinic.CallToolAsync("check_availability", new { date = "2027-10-31", provider = "dr-a" });
        var starts = r.GetProperty("slots").EnumerateArray().Select(s => s.GetProperty("starts_at").GetString()).ToList();
        Assert.Equal(["2027-10-31T00:00:00+01:00", "2027-10-31T00:15:00+01:00", "2027-10-31T00:30:00+01:00",
                      "2027-10-31T00:45:00+01:00", "2027-10-31T01:00:00+01:00"], starts);
        var late = await clinic.BookAsync("dr-a", "2027-10-31", "03:00");
        Assert.Equal("2027-10-31T03:00:00+00:00", late.GetProperty("starts_at").GetString());
        var ambiguous = await clinic.BookAsync("dr-a", "2027-10-31", "01:30", phone: "+447700100002");
        Assert.Equal("2027-10-31T01:30:00+01:00", ambiguous.GetProperty("starts_at").GetString());
        Assert.Contains("first", ambiguous.GetProperty("note").GetString());
    }
}
