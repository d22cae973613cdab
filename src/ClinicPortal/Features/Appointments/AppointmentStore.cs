using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using System.Linq.Expressions;
using Dapper;
using Microsoft.EntityFrameworkCore;

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

    /// <summary>One page of the grid (LINQ through EF Core), filtered and sorted by the grid's column name, and how many match.</summary>
    public Task<(IReadOnlyList<AppointmentRow> Rows, int Total)> SearchAsync(Guid clinic, AppointmentFilter f, string? sortBy, bool descending,
        int skip, int take, CancellationToken ct = default) => db.ReadDataAsync(clinic, async data =>
    {
        var q = data.Appointments.AsQueryable();
        if (f.FromUtc is { } from) q = q.Where(a => a.StartsAt >= from);
        if (f.ToUtc is { } to) q = q.Where(a => a.StartsAt < to);
        if (f.ProviderId is { } provider) q = q.Where(a => a.ProviderId == provider);
        if (f.Status is { } name && StatusNames.FirstOrDefault(x => x.Value == name) is { Value: not null } status) q = q.Where(a => a.Status == status.Key);
        if (f.Text?.Trim() is { Length: > 0 } text)
        {
            var (like, code) = ("%" + text + "%", text.ToUpperInvariant());
            q = q.Where(a => EF.Functions.ILike(a.Patient.Name, like) || EF.Functions.Like(a.Patient.Phone, like) || a.ConfirmationCode == code);
        }
        var total = await q.CountAsync(ct);
        IOrderedQueryable<Appointment> By<TKey>(Expression<Func<Appointment, TKey>> key) => descending ? q.OrderByDescending(key) : q.OrderBy(key);
        var sorted = sortBy switch
        {
            "Provider" => By(a => a.Provider.Name), "Patient" => By(a => a.Patient.Name), "Status" => By(a => a.Status), "Source" => By(a => a.Source),
            _ => By(a => a.StartsAt),
        };
        var page = await sorted.ThenBy(a => a.Id).Skip(skip).Take(Math.Clamp(take, 1, 200))
            .Select(a => new
            {
                a.Id, a.StartsAt, a.EndsAt, Provider = a.Provider.Name, Patient = a.Patient.Name, a.Patient.Phone,
                Procedure = a.Procedure == null ? null : a.Procedure.Name, a.Status, a.Source, a.ConfirmationCode, HasNotes = a.NotesCiphertext != null,
            })
            .ToListAsync(ct);
        IReadOnlyList<AppointmentRow> rows = page.Select(a => new AppointmentRow(a.Id, a.StartsAt, a.EndsAt, a.Provider, a.Patient, a.Phone, a.Procedure,
            StatusNames[a.Status], a.Source == AppointmentSource.Voice ? "voice" : "staff", a.ConfirmationCode, a.HasNotes)).ToList();
        return (rows, total);
    }, ct);

    /// <summary>The database's names of the statuses (appointment_status).</summary>
    private static readonly Dictionary<AppointmentStatus, string> StatusNames = new()
    {
        [AppointmentStatus.Pending] = "pending", [AppointmentStatus.Confirmed] = "confirmed", [AppointmentStatus.Cancelled] = "cancelled",
        [AppointmentStatus.Completed] = "completed", [AppointmentStatus.NoShow] = "no_show",
    };

    public Task<(IReadOnlyList<Choice> Providers, IReadOnlyList<Choice> Procedures)> ChoicesAsync(Guid clinic, CancellationToken ct = default) =>
        db.ReadDataAsync(clinic, async data =>
        {
            var providers = await data.Providers.Where(p => p.Active).OrderBy(p => p.Name).Select(p => new Choice(p.Id, p.Name)).ToListAsync(ct);
            var procedures = await data.Procedures.Where(p => p.Active).OrderBy(p => p.Name).Select(p => new Choice(p.Id, p.Name)).ToListAsync(ct);
            return ((IReadOnlyList<Choice>)providers, (IReadOnlyList<Choice>)procedures);
        }, ct);

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
            var detail = EventPayloads.Serialize(new AppointmentEventPayload(AppointmentId: id, Status: to, ProviderName: c.Provider, PatientName: c.Patient,
                StartsAt: new DateTimeOffset(DateTime.SpecifyKind(c.StartsAt, DateTimeKind.Utc)), Source: "staff", Actor: actor));
            await conn.ExecuteAsync("""
                select audit(@actor, @action, 'appointment', @id::text, @detail::jsonb - 'patient_name');
                select emit_event(@kind, @detail::jsonb);
                """, new { actor, action = "appointment." + to, id, detail, kind = to == "cancelled" ? EventKinds.Cancellation : EventKinds.Status }, tx);
            return true;
        }, ct);
    }
}
