using ClinicPortal.Shared;
using ClinicPortal.Features.Webhooks;
using NodaTime;

namespace ClinicPortal.Features.Booking;

/// <summary>book_appointment: booked, conflict (with alternatives) or invalid (with a reason).</summary>
public sealed class BookAppointmentTool(Booker booker, Privacy.NoteProtector protector) : ITool
{
    public string Name => "book_appointment";

    public async Task<string> RunAsync(ToolContext ctx, ToolArguments args, CancellationToken ct)
    {
        var notes = args.Optional("notes");
        var request = new BookingRequest(args.Required("provider"), ClinicTime.ParseDate(args.Required("date"), "date"),
            ClinicTime.ParseTime(args.Required("time"), "time"), args.Optional("procedure"), args.Required("patient_name"), args.Required("patient_phone"), notes);
        var outcome = await booker.BookAsync(ctx.ClinicId, request, new Requester(ctx.Actor, "voice", ctx.ToolCallId, ctx.CallId),
            Answers("booked", notes is null ? null : protector.CanProtect), ct);
        return Answer(outcome);
    }

    /// <summary>The result the agent reads for a booked or moved appointment.</summary>
    public static string Describe(BookingOutcome.Booked b, string status, bool? notesSaved = null) => ToolJson.Serialize(new BookedAnswer(
        status, b.AppointmentId, b.Code, b.Provider.Slug, b.Provider.Name, b.Procedure,
        ClinicTime.Format(b.Slot.Starts, b.Clinic.Zone), ClinicTime.Format(b.Slot.Ends, b.Clinic.Zone), b.Clinic.TimeZone,
        b.Slot.Ambiguous ? "that local time happens twice as the clocks go back; this is the first (summer time)" : null,
        notesSaved));

    public static ToolAnswers Answers(string status, bool? notesSaved = null) => new(
        b => Describe(b, status, notesSaved),
        c => ConflictWithAlternatives(c.Provider, c.Slot.Starts, c.Clinic.Zone, c.Alternatives),
        (provider, slot, clinic) => ToolJson.Serialize(new ConflictAnswer("conflict", provider.Slug, ClinicTime.Format(slot.Starts, clinic.Zone))),
        NotFound);

    /// <summary>The answer when no live appointment matches what the caller gave.</summary>
    public static readonly string NotFound = ToolJson.Serialize(new NotFoundAnswer("not_found", AppointmentLookup.NotFound));

    /// <summary>The tool's answer for an outcome (booked, moved and conflicting answers were stored as they were made).</summary>
    public static string Answer(BookingOutcome outcome) => outcome switch
    {
        BookingOutcome.Booked b => b.Result!,
        BookingOutcome.Conflict c => c.Result!,
        BookingOutcome.Replay r => r.Result,
        BookingOutcome.Invalid i when i.Reason == AppointmentLookup.NotFound => NotFound,
        BookingOutcome.Invalid i => ToolJson.Invalid(i.Reason),
        _ => throw new InvalidOperationException("unknown booking outcome"),
    };

    public static string ConflictWithAlternatives(ProviderRef provider, Instant wanted, DateTimeZone zone, IReadOnlyList<Slot> alternatives) =>
        ToolJson.Serialize(new ConflictAnswer("conflict", provider.Slug, ClinicTime.Format(wanted, zone),
            alternatives.Count == 0 ? "That time has just been taken and nothing else is free this week."
                                    : "That time has just been taken. Offer one of the alternatives.",
            alternatives.Select(a => new SlotAnswer(a.Provider.Slug, null, ClinicTime.Format(a.Starts, zone), ClinicTime.Format(a.Ends, zone))).ToList()));
}

// The answers' shapes, in the order the agent reads their fields (snake_case, nulls left out: ToolJson).
public sealed record BookedAnswer(string Status, Guid AppointmentId, string ConfirmationCode, string Provider, string ProviderName,
    string? Procedure, string StartsAt, string EndsAt, string TimeZone, string? Note, bool? NotesSaved);
public sealed record ConflictAnswer(string Status, string Provider, string RequestedStartsAt, string? Message = null,
    IReadOnlyList<SlotAnswer>? Alternatives = null);
public sealed record SlotAnswer(string Provider, string? ProviderName, string StartsAt, string EndsAt);
public sealed record NotFoundAnswer(string Status, string Message);
