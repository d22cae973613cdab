using ClinicPortal.Shared;
using ClinicPortal.Infrastructure.Database;
using Dapper;
using NodaTime;
using Npgsql;

namespace ClinicPortal.Features.Booking;

public sealed record ClinicInfo(string Name, string TimeZone, int MinNoticeMinutes, string? Phone, string Country)
{
    public DateTimeZone Zone => ClinicTime.Zone(TimeZone);
    public Instant EarliestStart(Instant now) => now + Duration.FromMinutes(MinNoticeMinutes);
}

/// <summary>What the slot finder needs for one clinic over a window: hours, time off, appointments.</summary>
public sealed record Schedule(ClinicInfo Clinic, IReadOnlyList<ProviderRef> Providers, IReadOnlyList<HoursRow> Hours, IReadOnlyList<BusySpan> Busy);

/// <summary>Row shapes as Npgsql returns them (time → TimeOnly, timestamptz → UTC DateTime).</summary>
public sealed record HoursRecord(Guid ProviderId, short Weekday, TimeOnly StartsAt, TimeOnly EndsAt)
{
    public HoursRow ToRow() => new(ProviderId, Weekday, LocalTime.FromTimeOnly(StartsAt), LocalTime.FromTimeOnly(EndsAt));
}

public sealed record SpanRecord(Guid ProviderId, DateTime StartsAt, DateTime EndsAt)
{
    public BusySpan ToSpan() => new(ProviderId, ToInstant(StartsAt), ToInstant(EndsAt));
    public static Instant ToInstant(DateTime utc) => Instant.FromDateTimeUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
}

public static class ScheduleStore
{
    private const string Sql = ClinicDb.SetClinic + """
        select name, time_zone as TimeZone, min_notice_minutes as MinNoticeMinutes, phone, country from clinics where id = @clinic;
        select id, slug, name from providers where active and (@provider::uuid is null or id = @provider) order by slug;
        select provider_id as ProviderId, weekday, starts_at as StartsAt, ends_at as EndsAt from working_hours
         where @provider::uuid is null or provider_id = @provider;
        select provider_id as ProviderId, starts_at as StartsAt, ends_at as EndsAt from time_off
         where (@provider::uuid is null or provider_id = @provider) and ends_at > @from and starts_at < @to
        union all
        select provider_id, starts_at, blocked_until from appointments
         where status <> 'cancelled' and (@provider::uuid is null or provider_id = @provider)
           and blocked_until > @from and starts_at < @to;
        """;

    /// <summary>Loads in one round trip; provider null means every active provider of the clinic.</summary>
    public static async Task<Schedule> LoadAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid clinic, Guid? provider,
        Instant from, Instant to)
    {
        await using var grid = await conn.QueryMultipleAsync(Sql,
            new { clinic, provider, from = from.ToDateTimeUtc(), to = to.ToDateTimeUtc() }, tx);
        await grid.ReadAsync();
        var info = await grid.ReadSingleAsync<ClinicInfo>();
        var providers = (await grid.ReadAsync<ProviderRef>()).ToList();
        var hours = (await grid.ReadAsync<HoursRecord>()).Select(h => h.ToRow()).ToList();
        var busy = (await grid.ReadAsync<SpanRecord>()).Select(s => s.ToSpan()).ToList();
        return new Schedule(info, providers, hours, busy);
    }

    /// <summary>The window of instants that local days [from, from + days) can touch in any zone.</summary>
    public static (Instant From, Instant To) Window(LocalDate from, int days) =>
        (from.AtMidnight().InUtc().ToInstant() - Duration.FromHours(15),
         from.PlusDays(days).AtMidnight().InUtc().ToInstant() + Duration.FromHours(15));
}
