using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using Dapper;

namespace ClinicPortal.Features.Appointments;

public sealed record AppointmentRow(Guid Id, DateTime StartsAt, DateTime EndsAt, string Provider, string Patient, string Phone, string? Procedure,
    string Status, string Source, string Code, bool HasNotes);

public sealed record AppointmentFilter(DateTime? FromUtc, DateTime? ToUtc, Guid? ProviderId, string? Status, string? Text);

public sealed record Choice(Guid Id, string Name);

/// <summary>Staff reads and status changes for appointments, under row-level security for the staff member's clinic.</summary>
public sealed class AppointmentStore(ClinicDb db)
{
    private sealed record Changed(DateTime StartsAt, string Provider, string Patient);

    public static readonly string[] Statuses = ["pending", "confirmed", "cancelled", "completed", "no_show"];

    /// <summary>The status changes staff can make, and the statuses each may start from.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Transitions = new Dictionary<string, string[]>
    {
        ["confirmed"] = ["pending"],
        ["cancelled"] = ["pending", "confirmed"],
        ["completed"] = ["pending", "confirmed"],
        ["no_show"] = ["pending", "confirmed"],
    };

    // Sortable columns, by the grid's property name; anything else sorts by start time.
    private static readonly Dictionary<string, string> SortColumns = new()
    {
        ["StartsAt"] = "a.starts_at", ["Provider"] = "pv.name", ["Patient"] = "pt.name", ["Status"] = "a.status", ["Source"] = "a.source",
    };

    private const string From = """
          from appointments a
          join providers pv on pv.clinic_id = a.clinic_id and pv.id = a.provider_id
          join patients pt on pt.clinic_id = a.clinic_id and pt.id = a.patient_id
          left join procedures pr on pr.clinic_id = a.clinic_id and pr.id = a.procedure_id
         where (@fromUtc::timestamptz is null or a.starts_at >= @fromUtc) and (@toUtc::timestamptz is null or a.starts_at < @toUtc)
           and (@providerId::uuid is null or a.provider_id = @providerId)
           and (@status::text is null or a.status::text = @status)
           and (@text::text is null or pt.name ilike '%' || @text || '%' or pt.phone like '%' || @text || '%'
                or a.confirmation_code = upper(@text))
        """;

    public async Task<(IReadOnlyList<AppointmentRow> Rows, int Total)> SearchAsync(Guid clinic, AppointmentFilter f, string? sortBy, bool descending,
        int skip, int take, CancellationToken ct = default)
    {
        var order = SortColumns.GetValueOrDefault(sortBy ?? "", "a.starts_at") + (descending ? " desc" : " asc");
        await using var conn = await db.OpenAsync(ct);
        await using var grid = await conn.QueryForClinicAsync($"""
            select a.id, a.starts_at as StartsAt, a.ends_at as EndsAt, pv.name as Provider, pt.name as Patient, pt.phone as Phone,
                   pr.name as Procedure, a.status::text as Status, a.source::text as Source, a.confirmation_code as Code,
                   a.notes_ciphertext is not null as HasNotes
            {From}
             order by {order}, a.id limit @take offset @skip;
            select count(*) {From};
            """, new
        {
            clinic, fromUtc = f.FromUtc, toUtc = f.ToUtc, providerId = f.ProviderId, status = f.Status,
            text = string.IsNullOrWhiteSpace(f.Text) ? null : f.Text.Trim(), skip, take = Math.Clamp(take, 1, 200),
        });
        var rows = (await grid.ReadAsync<AppointmentRow>()).ToList();
        return (rows, (int)await grid.ReadSingleAsync<long>());
    }

    public async Task<(IReadOnlyList<Choice> Providers, IReadOnlyList<Choice> Procedures)> ChoicesAsync(Guid clinic, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var grid = await conn.QueryForClinicAsync("""
            select id, name from providers where active order by name;
            select id, name from procedures where active order by name;
            """, new { clinic });
        return ((await grid.ReadAsync<Choice>()).ToList(), (await grid.ReadAsync<Choice>()).ToList());
    }

    /// <summary>Applies a status change if the appointment is in a status it may start from; audited with the staff member as actor.</summary>
    public async Task<bool> ChangeStatusAsync(Guid clinic, Guid id, string to, string actor, CancellationToken ct = default)
    {
        if (!Transitions.TryGetValue(to, out var from)) throw new ArgumentOutOfRangeException(nameof(to), to, "not a status staff can set");
        // Staff cancelling and the voice agent's cancel_appointment both write through the unit of work (ClinicDb).
        return await db.WriteAsync(clinic, async (conn, tx) =>
        {
            var changed = await conn.QuerySingleOrDefaultAsync<Changed>("""
                with changed as (
                    update appointments a set status = @to::appointment_status, updated_at = now()
                     where a.clinic_id = @clinic and a.id = @id and a.status::text = any (@from)
                    returning a.starts_at, a.provider_id, a.patient_id)
                select c.starts_at as StartsAt, pv.name as Provider, pt.name as Patient from changed c
                  join providers pv on pv.clinic_id = @clinic and pv.id = c.provider_id
                  join patients pt on pt.clinic_id = @clinic and pt.id = c.patient_id
                """, new { clinic, id, to, from }, tx);
            if (changed is not { } c) return false; // already changed by someone else, or not a status this change may start from
            var detail = System.Text.Json.JsonSerializer.Serialize(new
            {
                appointment_id = id, status = to, provider_name = c.Provider, patient_name = c.Patient, starts_at = c.StartsAt, source = "staff", actor,
            });
            await conn.ExecuteAsync("""
                select audit(@actor, @action, 'appointment', @id::text, @detail::jsonb - 'patient_name');
                select emit_event(@kind, @detail::jsonb);
                """, new { actor, action = "appointment." + to, id, detail, kind = to == "cancelled" ? EventKinds.Cancellation : EventKinds.Status }, tx);
            return true;
        }, ct);
    }
}
