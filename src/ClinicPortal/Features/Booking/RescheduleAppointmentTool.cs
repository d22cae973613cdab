using ClinicPortal.Features.Events;
using ClinicPortal.Features.Webhooks;
using ClinicPortal.Infrastructure.Database;
using NodaTime;

namespace ClinicPortal.Features.Booking;

/// <summary>reschedule_appointment: rescheduled, or conflict with alternatives and the original untouched.</summary>
public sealed class RescheduleAppointmentTool(ClinicDb db, IClock clock, CommitSignal committed) : ITool
{
    public string Name => "reschedule_appointment";

    public async Task<string> RunAsync(ToolContext ctx, ToolArguments args, CancellationToken ct)
    {
        var code = args.Required("confirmation_code");
        var phone = args.Required("patient_phone");
        var date = ClinicTime.ParseDate(args.Required("date"), "date");
        var time = ClinicTime.ParseTime(args.Required("time"), "time");
        var notFound = ToolJson.Serialize(new { status = "not_found", message = "No live appointment matches that confirmation code and phone number." });

        await using var conn = await db.OpenAsync(ct);
        var (clinic, a) = await AppointmentLookup.FindAsync(conn, null, ctx.ClinicId, code, phone);
        if (a is null) return notFound;
        var c = await BookingContext.LoadAsync(conn, ctx.ClinicId, a.ProviderSlug, null, date);
        var length = Duration.FromMinutes(a.DurationMinutes);
        var buffer = Duration.FromMinutes(a.BufferAfterMinutes);
        var now = clock.GetCurrentInstant();
        var (slot, invalid) = BookingRules.Check(clinic, c.Hours, c.TimeOff, date, time, length, buffer, now);
        if (slot is null) return ToolJson.Invalid(invalid!);

        var zone = clinic.Zone;
        var provider = new ProviderRef(a.ProviderId, a.ProviderSlug, a.ProviderName);
        var detail = new { provider = a.ProviderSlug, provider_name = a.ProviderName, procedure = a.ProcedureName, previous_starts_at = a.StartsAt,
            source = "voice", call_id = ctx.CallId };
        var (outcome, result) = await BookingStore.RescheduleAsync(conn, ctx.ClinicId, ctx.ToolCallId, ctx.CallId, ctx.Actor, a.Id, a.ProviderId,
            slot, detail,
            ToolJson.Serialize(new { status = "rescheduled", confirmation_code = ConfirmationCode.Normalize(code), provider = a.ProviderSlug,
                starts_at = ClinicTime.Format(slot.Starts, zone), ends_at = ClinicTime.Format(slot.Ends, zone), time_zone = clinic.TimeZone }),
            ToolJson.Serialize(new { status = "conflict", provider = a.ProviderSlug, requested_starts_at = ClinicTime.Format(slot.Starts, zone),
                message = "That time has just been taken; the appointment is unchanged." }),
            notFound);
        if (outcome != "replay") committed.Signal();
        if (outcome != "conflict") return result;

        var alternatives = await BookingStore.AlternativesAsync(conn, ctx.ClinicId, a.ProviderId, date, slot.Starts, length, buffer, now);
        var full = BookAppointmentTool.ConflictWithAlternatives(provider, slot.Starts, zone, alternatives);
        await ToolLedger.StoreAsync(conn, null, ctx, full);
        return full;
    }
}
