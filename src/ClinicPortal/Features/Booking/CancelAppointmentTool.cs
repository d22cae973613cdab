using ClinicPortal.Shared;
using ClinicPortal.Features.Events;
using ClinicPortal.Features.Webhooks;
using ClinicPortal.Infrastructure.Database;
using NodaTime;

namespace ClinicPortal.Features.Booking;

/// <summary>cancel_appointment: cancelled or not_found. A cancelled slot is free again at once.</summary>
public sealed class CancelAppointmentTool(ToolLedger ledger, Operations.ClinicMetrics metrics) : ITool
{
    public string Name => "cancel_appointment";

    public async Task<string> RunAsync(ToolContext ctx, ToolArguments args, CancellationToken ct)
    {
        var code = args.Required("confirmation_code");
        var phone = args.Required("patient_phone");
        // The ledger's transaction is the unit of work (ClinicDb.WriteAsync): committed, then listeners are woken.
        return await ledger.RunOnceAsync(ctx, Name, async (conn, tx) =>
        {
            var (clinic, a) = await AppointmentLookup.FindAsync(conn, tx, ctx.ClinicId, new AppointmentKey.ByCode(code, phone));
            if (a is null) return BookAppointmentTool.NotFound;
            var starts = ClinicTime.Format(ScheduleRows.ToInstant(a.StartsAt), clinic.Zone);
            var detail = EventPayloads.Serialize(new AppointmentEventPayload(AppointmentId: a.Id, Provider: a.ProviderSlug, ProviderName: a.ProviderName,
                Procedure: a.ProcedureName, StartsAt: new DateTimeOffset(DateTime.SpecifyKind(a.StartsAt, DateTimeKind.Utc)), PatientName: a.PatientName,
                Source: "voice", Actor: ctx.Actor, CallId: ctx.CallId));
            await conn.Command("""
                update appointments set status = 'cancelled', updated_at = now() where clinic_id = @clinic and id = @id;
                select audit(@actor, 'appointment.cancelled', 'appointment', @id::text, @detail::jsonb - 'patient_name');
                select emit_event('cancellation', @detail::jsonb); -- EventKinds.Cancellation
                """, tx).With("clinic", ctx.ClinicId).With("id", a.Id).With("actor", ctx.Actor).With("detail", detail).RunAsync(ct);
            metrics.Appointment("cancelled", "voice");
            return ToolJson.Serialize(new CancelledAnswer("cancelled", ConfirmationCode.Normalize(code), a.ProviderSlug, starts));
        }, ct);
    }
}

public sealed record CancelledAnswer(string Status, string ConfirmationCode, string Provider, string StartsAt);
