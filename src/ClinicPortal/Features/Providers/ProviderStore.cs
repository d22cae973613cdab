using ClinicPortal.Shared;
using ClinicPortal.Features.Booking;
using ClinicPortal.Features.Clinics;
using ClinicPortal.Infrastructure.Database;
using Dapper;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Npgsql;

namespace ClinicPortal.Features.Providers;

public sealed record ProviderRow(Guid Id, string Slug, string Name, string? Specialty);

public sealed record TimeOffRow(Guid Id, DateTime StartsAt, DateTime EndsAt, string? Reason);

/// <summary>Providers' weekly hours and time off, as staff manage them; every change audited.</summary>
public sealed class ProviderStore(ClinicDb db)
{
    public Task<List<ProviderRow>> ListAsync(Guid clinic, CancellationToken ct = default) => db.ReadDataAsync(clinic, data =>
        data.Providers.Where(p => p.Active).OrderBy(p => p.Name).Select(p => new ProviderRow(p.Id, p.Slug, p.Name, p.Specialty)).ToListAsync(ct), ct);

    public Task<(IReadOnlyList<WorkingDay> Hours, IReadOnlyList<TimeOffRow> TimeOff)> DetailAsync(Guid clinic, Guid provider, CancellationToken ct = default) =>
        db.ReadDataAsync(clinic, async data =>
        {
            var hours = await data.WorkingHours.Where(h => h.ProviderId == provider).OrderBy(h => h.Weekday).ThenBy(h => h.StartsAt)
                .Select(h => new WorkingDay(h.Weekday, h.StartsAt, h.EndsAt)).ToListAsync(ct);
            var now = DateTime.UtcNow;
            var timeOff = await data.TimeOff.Where(t => t.ProviderId == provider && t.EndsAt > now).OrderBy(t => t.StartsAt)
                .Select(t => new TimeOffRow(t.Id, t.StartsAt, t.EndsAt, t.Reason)).ToListAsync(ct);
            return ((IReadOnlyList<WorkingDay>)hours, (IReadOnlyList<TimeOffRow>)timeOff);
        }, ct);

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
