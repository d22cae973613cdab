using ClinicPortal.Shared;
using System.Text.Json;
using ClinicPortal.Features.Booking;
using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using NodaTime;

namespace ClinicPortal.Features.Dashboard;

public sealed record TodayAppointment(Guid Id, DateTime StartsAt, DateTime EndsAt, string Provider, string Patient, string? Procedure,
    string Status, string Source);

public sealed record Counters(long CallsToday, long BookingsToday, long CollisionsToday)
{
    public string Conversion => CallsToday == 0 ? "–" : $"{Math.Min(1.0, (double)BookingsToday / CallsToday):P0}";
}

/// <summary>A call for the calls board: the caller masked to the last digits, the outcome once it ended.</summary>
public sealed record CallSummary(string CallId, string Status, string? CallerPhone, DateTime UpdatedAt, DateTime? EndedAt, string? EndedReason, bool Booked,
    int Hangs = 0, DateTime? LastHangAt = null)
{
    public string Caller => CallerPhone is { Length: > 4 } p ? "…" + p[^3..] : "unknown number";
}

public sealed record AuditEntry(long Id, DateTime OccurredAt, string Actor, string Action, string SubjectType, string SubjectId);

public sealed record DashboardSnapshot(IReadOnlyList<TodayAppointment> Today, IReadOnlyList<ClinicEvent> Recent, Counters Counters,
    IReadOnlyList<AuditEntry> Audit, IReadOnlyList<CallSummary> Calls);

/// <summary>The dashboard's reads for one clinic, in one round trip, under row-level security.</summary>
public sealed class DashboardStore(ClinicDb db, IClock clock)
{
    private const string Sql = """
        select a.id, a.starts_at, a.ends_at, pv.name, pt.name, pr.name, a.status::text, a.source::text
          from appointments a
          join providers pv on pv.clinic_id = a.clinic_id and pv.id = a.provider_id
          join patients pt on pt.clinic_id = a.clinic_id and pt.id = a.patient_id
          left join procedures pr on pr.clinic_id = a.clinic_id and pr.id = a.procedure_id
         where a.starts_at >= @dayStart and a.starts_at < @dayEnd
         order by a.starts_at, pv.name;
        select id, clinic_id, kind, occurred_at, payload::text from events
         where kind not in ('latency', 'call') order by id desc limit 50;
        select (select count(*) from (select call_id from call_messages where received_at >= @dayStart and call_id is not null
                                      union select call_id from tool_calls where created_at >= @dayStart and call_id is not null) c),
               (select count(*) from events where kind = 'booking' and occurred_at >= @dayStart),
               (select count(*) from events where kind = 'collision' and occurred_at >= @dayStart);
        select id, occurred_at, actor, action, subject_type, subject_id
          from audit_log order by id desc limit 10;
        select c.call_id, c.status, c.caller_phone, c.updated_at, c.ended_at, c.ended_reason,
               exists (select 1 from tool_calls t where t.call_id = c.call_id and t.outcome in ('booked', 'rescheduled')),
               c.hangs, c.last_hang_at
          from calls c
         where (c.status <> 'ended' and c.updated_at > now() - interval '2 hours') or c.ended_at >= @dayStart
         order by c.status = 'ended', coalesce(c.ended_at, c.updated_at) desc limit 30;
        """;

    public async Task<DashboardSnapshot> LoadAsync(Guid clinic, string timeZone, CancellationToken ct = default)
    {
        var (dayStart, dayEnd) = Today(timeZone);
        await using var conn = await db.OpenAsync(ct);
        await using var cmd = conn.ForClinic(clinic, Sql).With("dayStart", dayStart).With("dayEnd", dayEnd);
        await using var reader = await cmd.ReaderAsync(ct);
        var today = await reader.RowsAsync(r => new TodayAppointment(r.GetGuid(0), r.GetDateTime(1), r.GetDateTime(2), r.GetString(3), r.GetString(4),
            r.Value<string>(5), r.GetString(6), r.GetString(7)), ct);
        var recent = await reader.RowsAsync(ToEvent, ct);
        var counters = (await reader.RowsAsync(r => new Counters(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)), ct)).Single();
        var audit = await reader.RowsAsync(r => new AuditEntry(r.GetInt64(0), r.GetDateTime(1), r.GetString(2), r.GetString(3), r.GetString(4),
            r.GetString(5)), ct);
        var calls = await reader.RowsAsync(r => new CallSummary(r.GetString(0), r.GetString(1), r.Value<string>(2), r.GetDateTime(3),
            r.Value<DateTime?>(4), r.Value<string>(5), r.GetBoolean(6), r.GetInt32(7), r.Value<DateTime?>(8)), ct);
        return new DashboardSnapshot(today, recent, counters, audit, calls);
    }

    /// <summary>Midnight to midnight in the clinic's zone, as UTC instants.</summary>
    public (DateTime Start, DateTime End) Today(string timeZone)
    {
        var zone = ClinicTime.Zone(timeZone);
        var date = clock.GetCurrentInstant().InZone(zone).Date;
        return (zone.AtStartOfDay(date).ToDateTimeUtc(), zone.AtStartOfDay(date.PlusDays(1)).ToDateTimeUtc());
    }

    /// <summary>id, clinic_id, kind, occurred_at, payload::text.</summary>
    private static ClinicEvent ToEvent(Npgsql.NpgsqlDataReader r)
    {
        using var doc = JsonDocument.Parse(r.GetString(4));
        return new ClinicEvent(r.GetInt64(0), r.GetGuid(1), r.GetString(2), DateTime.SpecifyKind(r.GetDateTime(3), DateTimeKind.Utc), doc.RootElement.Clone());
    }
}
