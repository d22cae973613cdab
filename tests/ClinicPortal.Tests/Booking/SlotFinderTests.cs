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

    [Fact]
    public void Nearest_alternatives_go_on_to_the_next_days_only_while_they_could_be_nearer()
    {
        var tuesday = Monday.PlusDays(1);
        Instant On(LocalDate day, int hour, int minute) => (day + new LocalTime(hour, minute)).InZoneStrictly(London).ToInstant();
        var hours = new[] { new HoursRow(Patel.Id, 1, new LocalTime(9, 0), new LocalTime(11, 0)), new HoursRow(Patel.Id, 2, new LocalTime(9, 0), new LocalTime(11, 0)) };
        SlotFinder.Request Busy(params BusySpan[] busy) =>
            new(London, [Patel], hours, busy, Duration.FromMinutes(30), Duration.Zero, Instant.MinValue);

        // Monday has two free times left (09:00 and 10:30): the third is Tuesday's first.
        var twoLeft = SlotFinder.Nearest(Busy(new BusySpan(Patel.Id, At(9, 30), At(10, 30))), Monday, 7, At(10, 0), 3);
        Assert.Equal(new[] { At(9, 0), At(10, 30), On(tuesday, 9, 0) }, twoLeft.Select(s => s.Starts));

        // Monday is full: all three are Tuesday's, earliest first.
        var full = SlotFinder.Nearest(Busy(new BusySpan(Patel.Id, At(9, 0), At(11, 0))), Monday, 7, At(10, 0), 3);
        Assert.Equal(new[] { On(tuesday, 9, 0), On(tuesday, 9, 15), On(tuesday, 9, 30) }, full.Select(s => s.Starts));

        // Monday has three: Tuesday, a day away, is not needed, and the answer is Monday's alone.
        var three = SlotFinder.Nearest(Busy(new BusySpan(Patel.Id, At(9, 30), At(10, 0))), Monday, 7, At(10, 0), 3);
        Assert.Equal(new[] { At(10, 0), At(10, 15), At(10, 30) }, three.Select(s => s.Starts));
    }
}
