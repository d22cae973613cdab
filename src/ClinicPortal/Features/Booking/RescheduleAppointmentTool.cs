using ClinicPortal.Shared;
using ClinicPortal.Features.Webhooks;

namespace ClinicPortal.Features.Booking;

/// <summary>reschedule_appointment: rescheduled, or conflict with alternatives and the original untouched.</summary>
public sealed class RescheduleAppointmentTool(Booker booker) : ITool
{
    public string Name => "reschedule_appointment";

    public async Task<string> RunAsync(ToolContext ctx, ToolArguments args, CancellationToken ct)
    {
        var key = new AppointmentKey.ByCode(args.Required("confirmation_code"), args.Required("patient_phone"));
        var date = ClinicTime.ParseDate(args.Required("date"), "date");
        var time = ClinicTime.ParseTime(args.Required("time"), "time");
        var outcome = await booker.RescheduleAsync(ctx.ClinicId, key, date, time, new Requester(ctx.Actor, "voice", ctx.ToolCallId, ctx.CallId),
            BookAppointmentTool.Answers("rescheduled"), ct);
        return BookAppointmentTool.Answer(outcome);
    }
}
