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
public sealed record CallSummary(string CallId, string Status, string? CallerPhone, DateTime UpdatedAt, DateTime? EndedAt, string? EndedReason, bool Booked)
{
    public string Caller => CallerPhone is { Length: > 4 } p ? "…" + p[^3..] : "unknown number";
}

public sealed record AuditEntry(long Id, DateTime OccurredAt, string Actor, string Action, string SubjectType, string SubjectId);

public sealed record DashboardSnapshot(IReadOnlyList<TodayAppointment> Today, IReadOnlyList<ClinicEvent> Recent, Counters Counters,
    IReadOnlyList<AuditEntry> Audit, IReadOnlyList<CallSummary> Calls);

/// <summary>The dashboard's reads for one clinic, in one round trip, under row-level security.</summary>
public sealed class DashboardStore(ClinicDb db, IClock clock)
{
    private sealed record EventRow(long Id, Guid ClinicId, string Kind, DateTime OccurredAt, string Payload);

    private const string Sql = """
        select a.id, a.starts_at as StartsAt, a.ends_at as EndsAt, pv.name as Provider, pt.name as Patient, pr.name as Procedure,
               a.status::text as Status, a.source::text as Source
          from appointments a
          join providers pv on pv.clinic_id = a.clinic_id and pv.id = a.provider_id
          join patients pt on pt.clinic_id = a.clinic_id and pt.id = a.patient_id
          left join procedures pr on pr.clinic_id = a.clinic_id and pr.id = a.procedure_id
         where a.starts_at >= @dayStart and a.starts_at < @dayEnd
         order by a.starts_at, pv.name;
        select id, clinic_id as ClinicId, kind, occurred_at as OccurredAt, payload::text as Payload from events
         where kind not in ('latency', 'call') order by id desc limit 50;
        select (select count(*) from (select call_id from call_messages where received_at >= @dayStart and call_id is not null
                                      union select call_id from tool_calls where created_at >= @dayStart and call_id is not null) c) as CallsToday,
               (select count(*) from events where kind = 'booking' and occurred_at >= @dayStart) as BookingsToday,
               (select count(*) from events where kind = 'collision' and occurred_at >= @dayStart) as CollisionsToday;
        select id, occurred_at as OccurredAt, actor, action, subject_type as SubjectType, subject_id as SubjectId
          from audit_log order by id desc limit 10;
        select c.call_id as CallId, c.status, c.caller_phone as CallerPhone, c.updated_at as UpdatedAt, c.ended_at as EndedAt,
               c.ended_reason as EndedReason,
               exists (select 1 from tool_calls t where t.call_id = c.call_id and t.outcome in ('booked', 'rescheduled')) as Booked
          from calls c
         where (c.status <> 'ended' and c.updated_at > now() - interval '2 hours') or c.ended_at >= @dayStart
         order by c.status = 'ended', coalesce(c.ended_at, c.updated_at) desc limit 30;
        """;

    public async Task<DashboardSnapshot> LoadAsync(Guid clinic, string timeZone, CancellationToken ct = default)
    {
        var (dayStart, dayEnd) = Today(timeZone);
        await using var conn = await db.OpenAsync(ct);
        await using var grid = await conn.QueryForClinicAsync(Sql, new { clinic, dayStart, dayEnd });
        var today = (await grid.ReadAsync<TodayAppointment>()).ToList();
        var recent = (await grid.ReadAsync<EventRow>()).Select(ToEvent).ToList();
        var counters = await grid.ReadSingleAsync<Counters>();
        var audit = (await grid.ReadAsync<AuditEntry>()).ToList();
        var calls = (await grid.ReadAsync<CallSummary>()).ToList();
        return new DashboardSnapshot(today, recent, counters, audit, calls);
    }

    /// <summary>Midnight to midnight in the clinic's zone, as UTC instants.</summary>
    public (DateTime Start, DateTime End) Today(string timeZone)
    {
        var zone = ClinicTime.Zone(timeZone);
        var date = clock.GetCurrentInstant().InZone(zone).Date;
        return (zone.AtStartOfDay(date).ToDateTimeUtc(), zone.AtStartOfDay(date.PlusDays(1)).ToDateTimeUtc());
    }

    private static ClinicEvent ToEvent(EventRow r)
    {
        using var doc = JsonDocument.Parse(r.Payload);
        return new ClinicEvent(r.Id, r.ClinicId, r.Kind, DateTime.SpecifyKind(r.OccurredAt, DateTimeKind.Utc), doc.RootElement.Clone());
    }
}
