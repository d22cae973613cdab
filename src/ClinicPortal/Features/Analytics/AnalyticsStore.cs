using ClinicPortal.Features.Latency;
using ClinicPortal.Infrastructure.Database;
using NodaTime;
using Npgsql;

namespace ClinicPortal.Features.Analytics;

/// <summary>One day of the clinic (its own calendar day): the funnel, and what happened to the appointments on it.</summary>
public sealed record DayRow(DateOnly Day, long Calls, long CallsWithTools, long CallsBooked, long ToolCalls, long Collisions, long Appointments,
    long Cancelled, long NoShows)
{
    public double? Conversion => Calls == 0 ? null : 100.0 * CallsBooked / Calls;
}

/// <summary>One hour of the day (0-23, the clinic's time), summed over the range: calls and those that booked.</summary>
public sealed record HourRow(int Hour, long Calls, long CallsBooked)
{
    public double? Conversion => Calls == 0 ? null : 100.0 * CallsBooked / Calls;
}

public sealed record ProviderRow(string Name, long Appointments);

/// <summary>A weekday (ISO, 1 = Monday) and hour of the clinic's time, and the appointments that start then.</summary>
public sealed record SlotRow(int Weekday, int Hour, long Appointments);

public sealed record TextRow(string Status, long Count);

/// <summary>Webhook response times and tool-call failures over the range, from the hourly histograms.</summary>
public sealed record LatencySummary(long Requests, double? P50, double? P95, double? P99, long ToolCalls, long ToolFailures);

/// <summary>Everything the analytics page shows for one range of the clinic's days (From and To included).</summary>
public sealed record AnalyticsReport(DateOnly From, DateOnly To, string TimeZone, IReadOnlyList<DayRow> Days, IReadOnlyList<HourRow> Hours,
    IReadOnlyList<ProviderRow> Providers, IReadOnlyList<SlotRow> BusiestSlots, IReadOnlyList<TextRow> Texts, LatencySummary Latency)
{
    public long Calls => Days.Sum(d => d.Calls);
    public long CallsWithTools => Days.Sum(d => d.CallsWithTools);
    public long CallsBooked => Days.Sum(d => d.CallsBooked);
    public long Collisions => Days.Sum(d => d.Collisions);
    public long Appointments => Days.Sum(d => d.Appointments);
    public long Cancelled => Days.Sum(d => d.Cancelled);
    public long NoShows => Days.Sum(d => d.NoShows);
    public double? Conversion => Calls == 0 ? null : 100.0 * CallsBooked / Calls;
}

/// <summary>
/// The analytics of one clinic over a range of its days (docs/operations.md, Analytics), in read-only transactions:
/// calls by arrival, tool calls and texts by creation, appointments by start, all in the clinic's time zone; webhook
/// latency from the hourly histograms. Each read is one range scan, indexed but for the texts (0023_alerts.sql,
/// 0024_analytics.sql, 0025: an index on texts by time misled the booking path's daily-cap count), and the five run at once.
/// </summary>
public sealed class AnalyticsStore(ClinicDb db)
{
    public const int MaxDays = 366;

    /// <summary>Why a range cannot be shown, or null.</summary>
    public static string? Problem(DateOnly from, DateOnly to) =>
        to < from ? "the range ends before it starts"
        : to.DayNumber - from.DayNumber + 1 > MaxDays ? $"a range may cover at most {MaxDays} days"
        : null;

    private Task<List<T>> ReadAsync<T>(Guid clinic, DateTime from, DateTime to, string timeZone, string sql, Func<NpgsqlDataReader, T> row,
        CancellationToken ct) =>
        db.ReadAsync(clinic, (conn, tx) => conn.Command(sql, tx).With("tz", timeZone).With("from", from).With("to", to).ListAsync(row, ct), ct);

    public async Task<AnalyticsReport> LoadAsync(Guid clinic, string timeZone, DateOnly from, DateOnly to, CancellationToken ct = default)
    {
        if (Problem(from, to) is { } problem) throw new ArgumentException(problem);
        var zone = Shared.ClinicTime.Zone(timeZone);
        var start = zone.AtStartOfDay(LocalDate.FromDateOnly(from)).ToInstant().ToDateTimeUtc();
        var end = zone.AtStartOfDay(LocalDate.FromDateOnly(to).PlusDays(1)).ToInstant().ToDateTimeUtc();
        // Five independent reads, each in its own read-only transaction, at once: the page waits for the slowest, not the sum.
        var callsTask = ReadAsync(clinic, start, end, timeZone, """
            with t as (select call_id, bool_or(outcome = 'booked') as booked from tool_calls
                        where call_id is not null and created_at >= @from and created_at < @to + interval '1 day'
                        group by call_id)
            select date_bin('15 minutes', c.created_at, timestamptz '2000-01-01 00:00Z'), count(*), count(t.call_id), count(*) filter (where t.booked)
              from calls c left join t on t.call_id = c.call_id
             where c.created_at >= @from and c.created_at < @to
             group by 1
            """, r => (At: r.GetDateTime(0), Calls: r.GetInt64(1), WithTools: r.GetInt64(2), Booked: r.GetInt64(3)), ct);
        var toolsTask = ReadAsync(clinic, start, end, timeZone, """
            select date_bin('15 minutes', created_at, timestamptz '2000-01-01 00:00Z'), count(*), count(*) filter (where outcome = 'conflict')
              from tool_calls where created_at >= @from and created_at < @to group by 1
            """, r => (At: r.GetDateTime(0), ToolCalls: r.GetInt64(1), Collisions: r.GetInt64(2)), ct);
        // Appointments by their start: per day with cancellations and no-shows, per provider, per weekday and hour; one scan.
        var appointmentsTask = ReadAsync(clinic, start, end, timeZone, """
            select grouping(local_day), local_day, provider_id, weekday, hour,
                   count(*) filter (where status <> 'cancelled'), count(*) filter (where status = 'cancelled'),
                   count(*) filter (where status = 'no_show'),
                   (select p.name from providers p where p.id = a.provider_id)
              from (select (starts_at at time zone @tz)::date as local_day, provider_id, status,
                           extract(isodow from starts_at at time zone @tz)::int as weekday, extract(hour from starts_at at time zone @tz)::int as hour
                      from appointments where starts_at >= @from and starts_at < @to) a
             group by grouping sets ((local_day), (provider_id), (weekday, hour))
            """, r => (DayGroup: r.GetInt32(0) == 0, Day: r.Value<DateTime?>(1), Provider: r.Value<Guid?>(2), Weekday: r.Value<int?>(3),
                Hour: r.Value<int?>(4), Live: r.GetInt64(5), Cancelled: r.GetInt64(6), NoShows: r.GetInt64(7), Name: r.Value<string>(8)), ct);
        var textsTask = ReadAsync(clinic, start, end, timeZone, """
            select status, count(*) from sms_messages where created_at >= @from and created_at < @to and kind <> 'alert' group by status order by 2 desc
            """, r => new TextRow(r.GetString(0), r.GetInt64(1)), ct);
        var hourlyTask = ReadAsync(clinic, start, end, timeZone,
            "select counts, tool_calls, tool_failures from webhook_latency_hourly where hour >= @from and hour < @to",
            r => (Counts: r.GetFieldValue<int[]>(0), Calls: (long)r.GetInt32(1), Failures: (long)r.GetInt32(2)), ct);
        await Task.WhenAll(callsTask, toolsTask, appointmentsTask, textsTask, hourlyTask);

        var days = new Dictionary<DateOnly, DayRow>();
        DayRow Day(DateOnly d) => days.TryGetValue(d, out var row) ? row : days[d] = new DayRow(d, 0, 0, 0, 0, 0, 0, 0, 0);
        var hours = Enumerable.Range(0, 24).Select(h => new HourRow(h, 0, 0)).ToArray();
        // Quarter hours of UTC map exactly onto the clinic's days and hours: every time zone's offset is a whole quarter hour.
        LocalDateTime Local(DateTime utc) => Instant.FromDateTimeUtc(utc).InZone(zone).LocalDateTime;
        foreach (var q in callsTask.Result)
        {
            var local = Local(q.At);
            var day = local.Date.ToDateOnly();
            var d = Day(day);
            days[day] = d with { Calls = d.Calls + q.Calls, CallsWithTools = d.CallsWithTools + q.WithTools, CallsBooked = d.CallsBooked + q.Booked };
            hours[local.Hour] = hours[local.Hour] with { Calls = hours[local.Hour].Calls + q.Calls, CallsBooked = hours[local.Hour].CallsBooked + q.Booked };
        }
        foreach (var q in toolsTask.Result)
        {
            var day = Local(q.At).Date.ToDateOnly();
            var d = Day(day);
            days[day] = d with { ToolCalls = d.ToolCalls + q.ToolCalls, Collisions = d.Collisions + q.Collisions };
        }
        var providers = new List<ProviderRow>();
        var slots = new List<SlotRow>();
        foreach (var row in appointmentsTask.Result)
        {
            if (row.DayGroup && row.Day is { } day)
            {
                var d = DateOnly.FromDateTime(day);
                days[d] = Day(d) with { Appointments = row.Live, Cancelled = row.Cancelled, NoShows = row.NoShows };
            }
            else if (row.Provider is not null) providers.Add(new ProviderRow(row.Name ?? "?", row.Live));
            else if (row.Weekday is { } w && row.Hour is { } h) slots.Add(new SlotRow(w, h, row.Live));
        }
        var hourly = hourlyTask.Result;
        var merged = LatencyHistogram.Merge(hourly.Select(h => h.Counts));
        var latency = new LatencySummary(merged.Sum(c => (long)c), LatencyHistogram.Percentile(merged, 0.50), LatencyHistogram.Percentile(merged, 0.95),
            LatencyHistogram.Percentile(merged, 0.99), hourly.Sum(h => h.Calls), hourly.Sum(h => h.Failures));

        var allDays = Enumerable.Range(0, to.DayNumber - from.DayNumber + 1).Select(i => Day(from.AddDays(i))).ToList();
        return new AnalyticsReport(from, to, timeZone, allDays, hours, providers.OrderByDescending(p => p.Appointments).ThenBy(p => p.Name).ToList(),
            slots.Where(s => s.Appointments > 0).OrderByDescending(s => s.Appointments).ThenBy(s => s.Weekday).ThenBy(s => s.Hour).Take(10).ToList(),
            textsTask.Result, latency);
    }
}
