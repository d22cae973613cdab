using ClinicPortal.Shared;
using ClinicPortal.Features.Procedures;
using ClinicPortal.Features.Webhooks;
using NodaTime;

namespace ClinicPortal.Features.Booking;

/// <summary>check_availability: up to five free slots on a day, clinic-local, with offsets.</summary>
public sealed class CheckAvailabilityTool(ToolLedger ledger, IClock clock) : ITool
{
    private const int MaxSlots = 5;

    public string Name => "check_availability";

    public Task<string> RunAsync(ToolContext ctx, ToolArguments args, CancellationToken ct)
    {
        var date = ClinicTime.ParseDate(args.Required("date"), "date");
        var providerName = args.Optional("provider");
        var procedureName = args.Optional("procedure");
        var filter = (args.Optional("time_of_day")?.ToLowerInvariant() ?? "any") switch
        {
            "any" => (Func<LocalTime, bool>?)null,
            "morning" => t => t.Hour < 12,
            "afternoon" => t => t.Hour >= 12 && t.Hour < 17,
            "evening" => t => t.Hour >= 17,
            _ => throw new ToolArgumentException("argument 'time_of_day' must be morning, afternoon, evening or any"),
        };
        // Two round trips (ToolLedger.AnswerOnceAsync): one read of the named provider's (or every provider's) day and the
        // named procedure, then the answer's record.
        return ledger.AnswerOnceAsync(ctx, Name, async conn =>
        {
            var (from, to) = ScheduleStore.Window(date, 1);
            var (s, procedure) = await ScheduleStore.LoadForCallerAsync(conn, ctx.ClinicId, providerName, procedureName, from, to);
            if (providerName is not null && s.Providers.Count == 0) return ToolJson.Invalid($"this clinic has no provider '{providerName}'");
            if (procedureName is not null && procedure is null) return ToolJson.Invalid($"this clinic does not offer '{procedureName}'");
            var now = clock.GetCurrentInstant();
            if (date < now.InZone(s.Clinic.Zone).Date) return ToolJson.Invalid("that date is in the past");
            var length = Duration.FromMinutes(procedure?.DurationMinutes ?? (int)BookingContext.DefaultLength.TotalMinutes);
            var request = new SlotFinder.Request(s.Clinic.Zone, s.Providers, s.Hours, s.Busy, length,
                Duration.FromMinutes(procedure?.BufferAfterMinutes ?? 0), s.Clinic.EarliestStart(now));
            var slots = SlotFinder.FreeSlots(request, date, filter).Take(MaxSlots).ToList();
            return ToolJson.Serialize(new AvailabilityAnswer("ok", date.ToString("yyyy-MM-dd", null), s.Clinic.TimeZone, procedure?.Name,
                (int)length.TotalMinutes,
                slots.Select(x => new SlotAnswer(x.Provider.Slug, x.Provider.Name,
                    ClinicTime.Format(x.Starts, s.Clinic.Zone), ClinicTime.Format(x.Ends, s.Clinic.Zone))).ToList(),
                slots.Count == 0 ? "Nothing is free that day; try another day." : null));
        }, ct);
    }
}

public sealed record AvailabilityAnswer(string Status, string Date, string TimeZone, string? Procedure, int DurationMinutes,
    IReadOnlyList<SlotAnswer> Slots, string? Message);
