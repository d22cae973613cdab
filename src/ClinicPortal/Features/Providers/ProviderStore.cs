using ClinicPortal.Shared;
using ClinicPortal.Features.Booking;
using ClinicPortal.Features.Clinics;
using ClinicPortal.Infrastructure.Database;
using Dapper;
using NodaTime;
using Npgsql;

namespace ClinicPortal.Features.Providers;

public sealed record ProviderRow(Guid Id, string Slug, string Name, string? Specialty);

public sealed record TimeOffRow(Guid Id, DateTime StartsAt, DateTime EndsAt, string? Reason);

/// <summary>Providers' weekly hours and time off, as staff manage them; every change audited.</summary>
public sealed class ProviderStore(ClinicDb db)
{
    private sealed record HoursDb(short Weekday, TimeOnly StartsAt, TimeOnly EndsAt);

    public async Task<IReadOnlyList<ProviderRow>> ListAsync(Guid clinic, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var grid = await conn.QueryForClinicAsync("select id, slug, name, specialty from providers where active order by name;", new { clinic });
        return (await grid.ReadAsync<ProviderRow>()).ToList();
    }

    public async Task<(IReadOnlyList<WorkingDay> Hours, IReadOnlyList<TimeOffRow> TimeOff)> DetailAsync(Guid clinic, Guid provider, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var grid = await conn.QueryForClinicAsync("""
            select weekday, starts_at as StartsAt, ends_at as EndsAt from working_hours where provider_id = @provider order by weekday, starts_at;
            select id, starts_at as StartsAt, ends_at as EndsAt, reason from time_off where provider_id = @provider and ends_at > now() order by starts_at;
            """, new { clinic, provider });
        var hours = (await grid.ReadAsync<HoursDb>()).Select(h => new WorkingDay(h.Weekday, h.StartsAt, h.EndsAt)).ToList();
        return (hours, (await grid.ReadAsync<TimeOffRow>()).ToList());
    }

    /// <summary>Replaces the provider's weekly hours; a refused row (end before start) leaves the old hours in place.</summary>
    public async Task<string?> SaveHoursAsync(Guid clinic, Guid provider, IReadOnlyList<WorkingDay> hours, string actor, CancellationToken ct = default)
    {
        if (hours.Any(h => h.Ends <= h.Starts)) return "each day's closing time must be after its opening time";
        try
        {
            await db.WriteAsync(clinic, async (conn, tx) =>
            {
                await conn.ExecuteAsync("delete from working_hours where clinic_id = @clinic and provider_id = @provider", new { clinic, provider }, tx);
                foreach (var h in hours)
                    await conn.ExecuteAsync("""
                        insert into working_hours (clinic_id, provider_id, weekday, starts_at, ends_at) values (@clinic, @provider, @Weekday, @Starts, @Ends)
                        """, new { clinic, provider, h.Weekday, Starts = h.Starts.ToTimeSpan(), Ends = h.Ends.ToTimeSpan() }, tx);
                await Audit(conn, tx, actor, "provider.hours_changed", provider, new { hours = hours.Select(h => $"{h.Weekday} {h.Starts:HH\\:mm}-{h.Ends:HH\\:mm}") });
            }, ct);
            return null;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return "two rows start at the same time on the same day";
        }
    }

    /// <summary>Adds time off from clinic-local start to end; says how many live appointments fall inside it (they stay booked).</summary>
    public async Task<(string? Refused, int Affected)> AddTimeOffAsync(Guid clinic, Guid provider, LocalDateTime from, LocalDateTime to, string? reason,
        string timeZone, string actor, CancellationToken ct = default)
    {
        var zone = ClinicTime.Zone(timeZone);
        var (start, end) = (from.InZoneLeniently(zone).ToInstant(), to.InZoneLeniently(zone).ToInstant());
        if (end <= start) return ("the time off must end after it starts", 0);
        return (null, await db.WriteAsync(clinic, async (conn, tx) =>
        {
            var id = await conn.ExecuteScalarAsync<Guid>("""
                insert into time_off (clinic_id, provider_id, starts_at, ends_at, reason) values (@clinic, @provider, @start, @end, @reason) returning id
                """, new { clinic, provider, start = start.ToDateTimeUtc(), end = end.ToDateTimeUtc(), reason }, tx);
            var affected = await conn.ExecuteScalarAsync<int>("""
                select count(*) from appointments where provider_id = @provider and status in ('pending', 'confirmed')
                   and starts_at < @end and blocked_until > @start
                """, new { provider, start = start.ToDateTimeUtc(), end = end.ToDateTimeUtc() }, tx);
            await Audit(conn, tx, actor, "provider.time_off_added", provider, new { time_off_id = id, starts_at = start.ToString(), ends_at = end.ToString(), reason });
            return affected;
        }, ct));
    }

    public async Task RemoveTimeOffAsync(Guid clinic, Guid provider, Guid timeOff, string actor, CancellationToken ct = default)
    {
        await db.WriteAsync(clinic, async (conn, tx) =>
        {
            var removed = await conn.ExecuteAsync("delete from time_off where clinic_id = @clinic and provider_id = @provider and id = @timeOff",
                new { clinic, provider, timeOff }, tx);
            if (removed > 0) await Audit(conn, tx, actor, "provider.time_off_removed", provider, new { time_off_id = timeOff });
        }, ct);
    }

    private static Task Audit(NpgsqlConnection conn, NpgsqlTransaction tx, string actor, string action, Guid provider, object detail) =>
        conn.ExecuteAsync("select audit(@actor, @action, 'provider', @provider::text, @detail::jsonb)",
            new { actor, action, provider, detail = System.Text.Json.JsonSerializer.Serialize(detail) }, tx);
}
