using ClinicPortal.Shared;
using NodaTime;

namespace ClinicPortal.Features.Booking;

/// <summary>The resolved start and end of a requested appointment, or why it cannot be booked.</summary>
public sealed record RequestedSlot(Instant Starts, Instant Ends, Instant BlockedUntil, bool Ambiguous);

/// <summary>
/// Checks a clinic-local date and time against what the database cannot know: the clock, the
/// clinic's minimum notice, the provider's hours and time off, daylight-saving gaps. Whether the
/// slot is already taken is the database's answer (the exclusion constraint), not checked here.
/// </summary>
public static class BookingRules
{
    public static (RequestedSlot? Slot, string? Invalid) Check(
        ClinicInfo clinic, IReadOnlyList<HoursRow> providerHours, IReadOnlyList<BusySpan> timeOff,
        LocalDate date, LocalTime time, Duration length, Duration buffer, Instant now)
    {
        var zone = clinic.Zone;
        if (ClinicTime.Resolve(zone, date + time) is not { } start)
            return (null, $"{date:yyyy-MM-dd} {time:HH:mm} does not exist in {clinic.TimeZone}: the clocks go forward then");
        var end = start.Instant + length;
        if (start.Instant < now)
            return (null, "that time is in the past");
        if (start.Instant < clinic.EarliestStart(now))
            return (null, $"appointments need at least {clinic.MinNoticeMinutes} minutes' notice");
        var localEnd = end.InZone(zone).LocalDateTime;
        var weekday = (int)date.DayOfWeek;
        var withinHours = providerHours.Any(h => h.Weekday == weekday && time >= h.Starts && localEnd <= date + h.Ends);
        if (!withinHours)
            return (null, "that time is outside the provider's working hours");
        if (timeOff.Any(t => t.Starts < end && start.Instant < t.Ends))
            return (null, "the provider is away at that time");
        return (new RequestedSlot(start.Instant, end, end + buffer, start.Ambiguous), null);
    }
}
