using ClinicPortal.Features.Booking;
using NodaTime;

namespace ClinicPortal.Tests.Booking;

public sealed class SlotFinderTests
{
    private static readonly DateTimeZone London = DateTimeZoneProviders.Tzdb["Europe/London"];
    private static readonly ProviderRef Patel = new(Guid.NewGuid(), "dr-patel", "Dr Patel");
    private static readonly LocalDate Monday = new(2030, 1, 7);

    private static SlotFinder.Request Request(IReadOnlyList<BusySpan> busy, int minutes = 30, int buffer = 0) =>
        new(London, [Patel], [new HoursRow(Patel.Id, 1, new LocalTime(9, 0), new LocalTime(11, 0))], busy,
            Duration.FromMinutes(minutes), Duration.FromMinutes(buffer), Instant.MinValue);

    private static Instant At(int hour, int minute) => (Monday + new LocalTime(hour, minute)).InZoneStrictly(London).ToInstant();

    [Fact]
    public void Slots_fit_inside_working_hours_on_a_quarter_hour_grid()
    {
        var starts = SlotFinder.FreeSlots(Request([]), Monday).Select(s => s.Starts).ToList();
        Assert.Equal(At(9, 0), starts.First());
        Assert.Equal(At(10, 30), starts.Last()); // 10:30 + 30 min ends at closing
        Assert.Equal(7, starts.Count);
    }

    [Fact]
    public void A_busy_span_and_the_buffer_after_a_slot_are_respected()
    {
        var busy = new[] { new BusySpan(Patel.Id, At(10, 0), At(10, 30)) };
        var starts = SlotFinder.FreeSlots(Request(busy, minutes: 30, buffer: 15), Monday).Select(s => s.Starts).ToList();
        // 09:15 would need its buffer until 10:00: allowed (half-open); 09:30 would run into 10:00.
        Assert.Equal([At(9, 0), At(9, 15), At(10, 30)], starts);
    }

    [Fact]
    public void Nearest_alternatives_are_the_closest_free_times_in_order()
    {
        var busy = new[] { new BusySpan(Patel.Id, At(10, 0), At(10, 30)) };
        var nearest = SlotFinder.Nearest(Request(busy), Monday, 1, At(10, 0), 3);
        Assert.Equal(new[] { At(9, 15), At(9, 30), At(10, 30) }, nearest.Select(s => s.Starts));
    }
}
