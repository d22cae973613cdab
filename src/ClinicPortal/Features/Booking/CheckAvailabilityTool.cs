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
        return ledger.RunOnceAsync(ctx, Name, async (conn, tx) =>
        {
            Guid? providerId = null;
            if (providerName is not null)
            {
                var c = await BookingContext.LoadAsync(conn, ctx.ClinicId, providerName, null, date);
                if (c.Provider is null) return ToolJson.Invalid($"this clinic has no provider '{providerName}'");
                providerId = c.Provider.Id;
            }
            ProcedureRow? procedure = null;
            if (procedureName is not null && (procedure = await ProcedureCatalog.FindAsync(conn, tx, ctx.ClinicId, procedureName)) is null)
                return ToolJson.Invalid($"this clinic does not offer '{procedureName}'");

            var (from, to) = ScheduleStore.Window(date, 1);
            var s = await ScheduleStore.LoadAsync(conn, tx, ctx.ClinicId, providerId, from, to);
            var now = clock.GetCurrentInstant();
            if (date < now.InZone(s.Clinic.Zone).Date) return ToolJson.Invalid("that date is in the past");
            var length = Duration.FromMinutes(procedure?.DurationMinutes ?? (int)BookingContext.DefaultLength.TotalMinutes);
            var request = new SlotFinder.Request(s.Clinic.Zone, s.Providers, s.Hours, s.Busy, length,
                Duration.FromMinutes(procedure?.BufferAfterMinutes ?? 0), s.Clinic.EarliestStart(now));
            var slots = SlotFinder.FreeSlots(request, date, filter).Take(MaxSlots).ToList();
            return ToolJson.Serialize(new
            {
                status = "ok", date = date.ToString("yyyy-MM-dd", null), time_zone = s.Clinic.TimeZone, procedure = procedure?.Name,
                duration_minutes = (int)length.TotalMinutes,
                slots = slots.Select(x => new { provider = x.Provider.Slug, provider_name = x.Provider.Name,
                    starts_at = ClinicTime.Format(x.Starts, s.Clinic.Zone), ends_at = ClinicTime.Format(x.Ends, s.Clinic.Zone) }),
                message = slots.Count == 0 ? "Nothing is free that day; try another day." : null,
            });
        }, ct);
    }
}
