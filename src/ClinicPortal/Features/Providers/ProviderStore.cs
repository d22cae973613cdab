using ClinicPortal.Shared;
using ClinicPortal.Features.Booking;
using ClinicPortal.Features.Clinics;
using ClinicPortal.Infrastructure.Database;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Npgsql;

namespace ClinicPortal.Features.Providers;

public sealed record ProviderRow(Guid Id, string Slug, string Name, string? Specialty);

public sealed record TimeOffRow(Guid Id, DateTime StartsAt, DateTime EndsAt, string? Reason);

/// <summary>Providers' weekly hours and time off, as staff manage them; every change audited.</summary>
public sealed class ProviderStore(ClinicDb db)
{
    // Compiled: every staff page with a provider picker runs it.
    private static readonly Func<ClinicData, IAsyncEnumerable<ProviderRow>> ActiveProviders = EF.CompileAsyncQuery((ClinicData data) =>
        data.Providers.Where(p => p.Active).OrderBy(p => p.Name).Select(p => new ProviderRow(p.Id, p.Slug, p.Name, p.Specialty)));

    public Task<List<ProviderRow>> ListAsync(Guid clinic, CancellationToken ct = default) => db.ReadDataAsync(clinic, data =>
        ActiveProviders(data).ToListAsync(ct).AsTask(), ct);

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
            await db.WriteDataAsync(clinic, async data =>
            {
                await data.WorkingHours.Where(h => h.ProviderId == provider).ExecuteDeleteAsync(ct);
                // Row by row, so two rows that start together are refused by the database's key (not by EF's change tracker).
                foreach (var h in hours)
                    await data.Database.ExecuteSqlAsync($"""
                        insert into working_hours (clinic_id, provider_id, weekday, starts_at, ends_at)
                        values ({clinic}, {provider}, {(short)h.Weekday}, {h.Starts}, {h.Ends})
                        """, ct);
                await data.AuditAsync(actor, "provider.hours_changed", "provider", provider.ToString(),
                    new { hours = hours.Select(h => $"{h.Weekday} {h.Starts:HH\\:mm}-{h.Ends:HH\\:mm}") }, ct);
                return true;
            }, ct);
            return null;
        }
        catch (Exception e) when (ClinicData.Refusal(e) is { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return "two rows start at the same time on the same day";
        }
    }

    /// <summary>Adds time off from clinic-local start to end; says how many live appointments fall inside it (they stay booked).</summary>
    public async Task<(string? Refused, int Affected)> AddTimeOffAsync(Guid clinic, Guid provider, LocalDateTime from, LocalDateTime to, string? reason,
        string timeZone, string actor, CancellationToken ct = default)
    {
        var zone = ClinicTime.Zone(timeZone);
        var (start, end) = (from.InZoneLeniently(zone).ToInstant().ToDateTimeUtc(), to.InZoneLeniently(zone).ToInstant().ToDateTimeUtc());
        if (end <= start) return ("the time off must end after it starts", 0);
        return (null, await db.WriteDataAsync(clinic, async data =>
        {
            var id = Guid.CreateVersion7();
            data.TimeOff.Add(new TimeOff { ClinicId = clinic, Id = id, ProviderId = provider, StartsAt = start, EndsAt = end, Reason = reason });
            await data.SaveChangesAsync(ct);
            var affected = await data.Appointments.CountAsync(a => a.ProviderId == provider
                && (a.Status == AppointmentStatus.Pending || a.Status == AppointmentStatus.Confirmed) && a.StartsAt < end && a.BlockedUntil > start, ct);
            await data.AuditAsync(actor, "provider.time_off_added", "provider", provider.ToString(),
                new { time_off_id = id, starts_at = Instant.FromDateTimeUtc(start).ToString(), ends_at = Instant.FromDateTimeUtc(end).ToString(), reason }, ct);
            return affected;
        }, ct));
    }

    public Task RemoveTimeOffAsync(Guid clinic, Guid provider, Guid timeOff, string actor, CancellationToken ct = default) =>
        db.WriteDataAsync(clinic, async data =>
        {
            var removed = await data.TimeOff.Where(t => t.ProviderId == provider && t.Id == timeOff).ExecuteDeleteAsync(ct);
            if (removed > 0) await data.AuditAsync(actor, "provider.time_off_removed", "provider", provider.ToString(), new { time_off_id = timeOff }, ct);
            return removed;
        }, ct);
}
