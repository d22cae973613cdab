using ClinicPortal.Features.Events;
using ClinicPortal.Features.Webhooks;
using ClinicPortal.Infrastructure.Database;
using NodaTime;

namespace ClinicPortal.Features.Booking;

/// <summary>book_appointment: booked, conflict (with alternatives) or invalid (with a reason).</summary>
public sealed class BookAppointmentTool(ClinicDb db, IClock clock, CommitSignal committed) : ITool
{
    public string Name => "book_appointment";

    public async Task<string> RunAsync(ToolContext ctx, ToolArguments args, CancellationToken ct)
    {
        var providerName = args.Required("provider");
        var date = ClinicTime.ParseDate(args.Required("date"), "date");
        var time = ClinicTime.ParseTime(args.Required("time"), "time");
        var procedureName = args.Optional("procedure");
        var patientName = args.Required("patient_name");
        var patientPhone = args.Required("patient_phone");
        var notes = args.Optional("notes");

        await using var conn = await db.OpenAsync(ct);
        var c = await BookingContext.LoadAsync(conn, ctx.ClinicId, providerName, procedureName, date);
        if (c.Provider is not { } provider)
            return ToolJson.Invalid($"this clinic has no provider '{providerName}'");
        if (procedureName is not null && c.Procedure is null)
            return ToolJson.Invalid($"this clinic does not offer '{procedureName}'");
        if (PhoneNumber.Normalize(patientPhone, c.Clinic.Phone) is not { } phone)
            return ToolJson.Invalid("the phone number is not a valid number; ask for it again with the area code");
        var now = clock.GetCurrentInstant();
        var (slot, invalid) = BookingRules.Check(c.Clinic, c.Hours, c.TimeOff, date, time, c.Length, c.Buffer, now);
        if (slot is null) return ToolJson.Invalid(invalid!);

        var zone = c.Clinic.Zone;
        var detail = new { provider = provider.Slug, provider_name = provider.Name, procedure = c.Procedure?.Name, source = "voice", call_id = ctx.CallId };
        var id = Guid.CreateVersion7();
        var conflict = ToolJson.Serialize(new { status = "conflict", provider = provider.Slug, requested_starts_at = ClinicTime.Format(slot.Starts, zone),
            message = "That time has just been taken." });
        var (outcome, result) = await BookingStore.BookAsync(conn, ctx.ClinicId, ctx.ToolCallId, ctx.CallId,
            code => new NewAppointment(id, code, provider, c.Procedure?.Id, slot, patientName, phone, "voice", ctx.Actor, detail),
            a => ToolJson.Serialize(new
            {
                status = "booked", appointment_id = a.Id, confirmation_code = a.Code, provider = provider.Slug, provider_name = provider.Name,
                procedure = c.Procedure?.Name, starts_at = ClinicTime.Format(slot.Starts, zone), ends_at = ClinicTime.Format(slot.Ends, zone),
                time_zone = c.Clinic.TimeZone,
                note = slot.Ambiguous ? "that local time happens twice as the clocks go back; this is the first (summer time)" : null,
                notes_saved = notes is null ? (bool?)null : false,
            }),
            conflict);
        if (outcome != "replay") committed.Signal();
        if (outcome != "conflict") return result;

        var alternatives = await BookingStore.AlternativesAsync(conn, ctx.ClinicId, provider.Id, date, slot.Starts, c.Length, c.Buffer, now);
        var full = ConflictWithAlternatives(provider, slot.Starts, zone, alternatives);
        await ToolLedger.StoreAsync(conn, null, ctx, full);
        return full;
    }

    public static string ConflictWithAlternatives(ProviderRef provider, Instant wanted, DateTimeZone zone, IReadOnlyList<Slot> alternatives) =>
        ToolJson.Serialize(new
        {
            status = "conflict", provider = provider.Slug, requested_starts_at = ClinicTime.Format(wanted, zone),
            message = alternatives.Count == 0 ? "That time has just been taken and nothing else is free this week."
                                              : "That time has just been taken. Offer one of the alternatives.",
            alternatives = alternatives.Select(a => new { provider = a.Provider.Slug, starts_at = ClinicTime.Format(a.Starts, zone), ends_at = ClinicTime.Format(a.Ends, zone) }),
        });
}
