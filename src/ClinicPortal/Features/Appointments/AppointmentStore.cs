using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace ClinicPortal.Features.Appointments;

public sealed record AppointmentRow(Guid Id, DateTime StartsAt, DateTime EndsAt, string Provider, string Patient, string Phone, string? Procedure,
    string Status, string Source, string Code, bool HasNotes);

public sealed record AppointmentFilter(DateTime? FromUtc, DateTime? ToUtc, Guid? ProviderId, string? Status, string? Text);

public sealed record Choice(Guid Id, string Name);

/// <summary>Staff reads and status changes for appointments, under row-level security for the staff member's clinic.</summary>
public sealed class AppointmentStore(ClinicDb db, Operations.ClinicMetrics metrics)
{
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
        IReadOnlyList<AppointmentRow> rows = page.Select(a => new AppointmentRow(a.Id, a.StartsAt, a.EndsAt, a.Provider, a.Patient, a.Phone ?? "erased", a.Procedure,
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
        var (target, sources) = (StatusNames.Single(x => x.Value == to).Key, StatusNames.Where(x => from.Contains(x.Value)).Select(x => x.Key).ToList());
        // Staff cancelling and the voice agent's cancel_appointment both write through the unit of work (ClinicDb).
        return await db.WriteDataAsync(clinic, async data =>
        {
            var mine = data.Appointments.Where(a => a.Id == id && sources.Contains(a.Status));
            var c = await mine.Select(a => new { a.StartsAt, Provider = a.Provider.Name, Patient = a.Patient.Name }).SingleOrDefaultAsync(ct);
            // The update decides: it changes nothing when someone else changed the status first.
            if (c is null || await mine.ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, target).SetProperty(a => a.UpdatedAt, a => DateTime.UtcNow), ct) == 0)
                return false;
            var detail = EventPayloads.Serialize(new AppointmentEventPayload(AppointmentId: id, Status: to, ProviderName: c.Provider, PatientName: c.Patient,
                StartsAt: new DateTimeOffset(DateTime.SpecifyKind(c.StartsAt, DateTimeKind.Utc)), Source: "staff", Actor: actor));
            var (action, kind) = ("appointment." + to, to == "cancelled" ? EventKinds.Cancellation : EventKinds.Status);
            await data.Database.ExecuteSqlAsync($"""
                select audit({actor}, {action}, 'appointment', {id.ToString()}, {detail}::jsonb - 'patient_name');
                select emit_event({kind}, {detail}::jsonb);
                """, ct);
            if (to == "cancelled") metrics.Appointment("cancelled", "staff");
            return true;
        }, ct);
    }
}
