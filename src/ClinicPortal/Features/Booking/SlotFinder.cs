using ClinicPortal.Shared;
using NodaTime;

namespace ClinicPortal.Features.Booking;

public sealed record ProviderRef(Guid Id, string Slug, string Name);

/// <summary>Opening hours of one provider on an ISO weekday, clinic-local.</summary>
public sealed record HoursRow(Guid ProviderId, int Weekday, LocalTime Starts, LocalTime Ends);

/// <summary>A span when a provider cannot start anything new: an appointment (with its buffer) or time off.</summary>
public sealed record BusySpan(Guid ProviderId, Instant Starts, Instant Ends);

public sealed record Slot(ProviderRef Provider, Instant Starts, Instant Ends);

/// <summary>
/// Free slots on a 15-minute grid of clinic-local time, inside working hours, after the minimum
/// notice, clear of busy spans for the appointment plus its buffer. Pure: the caller loads the data.
/// </summary>
public static class SlotFinder
{
    private const int StepMinutes = 15;

    public sealed record Request(
        DateTimeZone Zone, IReadOnlyList<ProviderRef> Providers, IReadOnlyList<HoursRow> Hours, IReadOnlyList<BusySpan> Busy,
        Duration Length, Duration Buffer, Instant NotBefore);

    public static IEnumerable<Slot> FreeSlots(Request r, LocalDate day, Func<LocalTime, bool>? timeFilter = null)
    {
        var weekday = (int)day.DayOfWeek;
        var candidates = new List<Slot>();
        foreach (var provider in r.Providers)
        {
            var busy = r.Busy.Where(b => b.ProviderId == provider.Id).ToList();
            foreach (var hours in r.Hours.Where(h => h.ProviderId == provider.Id && h.Weekday == weekday))
            {
                for (var t = hours.Starts; t < hours.Ends && t >= hours.Starts; t = t.PlusMinutes(StepMinutes))
                {
                    if (timeFilter is not null && !timeFilter(t)) continue;
                    if (ClinicTime.Resolve(r.Zone, day + t) is not { } start) continue;
                    var end = start.Instant + r.Length;
                    if (start.Instant < r.NotBefore) continue;
                    if (end.InZone(r.Zone).LocalDateTime > day + hours.Ends) break;
                    if (Overlaps(busy, provider.Id, start.Instant, end + r.Buffer)) continue;
                    candidates.Add(new Slot(provider, start.Instant, end));
                }
            }
        }
        return candidates.OrderBy(s => s.Starts).ThenBy(s => s.Provider.Slug, StringComparer.Ordinal);
    }

    public static bool Overlaps(IEnumerable<BusySpan> busy, Guid providerId, Instant starts, Instant ends) =>
        busy.Any(b => b.ProviderId == providerId && b.Starts < ends && starts < b.Ends);

    /// <summary>
    /// The free slots nearest in time to what was asked (on fromDay or later), earliest first. Days are searched in order,
    /// and the search stops once it holds count slots no farther from what was asked than the next day's start: no slot
    /// of a later day can be nearer (a collision's loser is usually answered from its own day).
    /// </summary>
    public static IReadOnlyList<Slot> Nearest(Request r, LocalDate fromDay, int days, Instant wanted, int count)
    {
        var found = new List<Slot>();
        for (var d = 0; d < days; d++)
        {
            found.AddRange(FreeSlots(r, fromDay.PlusDays(d)));
            if (found.Count < count || d == days - 1) continue;
            var nextDay = r.Zone.AtStartOfDay(fromDay.PlusDays(d + 1)).ToInstant();
            if (found.Select(s => Distance(s, wanted)).Order().ElementAt(count - 1) <= nextDay - wanted) break;
        }
        return found.OrderBy(s => Distance(s, wanted)).Take(count).OrderBy(s => s.Starts).ToList();
    }

    private static Duration Distance(Slot s, Instant wanted) => s.Starts > wanted ? s.Starts - wanted : wanted - s.Starts;
}
