using ClinicPortal.Features.Calls;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Calls;

[Collection(PortalCollection.Name)]
public sealed class CallLifecycleTests(ClinicPortalFactory portal)
{
    private CallStore Calls => portal.Services.GetRequiredService<CallStore>();

    private static object Status(string callId, string status) =>
        new { type = "status-update", status, call = new { id = callId, customer = new { number = "+447700100111" } } };

    [Fact]
    public async Task Status_updates_move_a_call_forward_only_whatever_order_they_arrive_in()
    {
        var clinic = await portal.CreateClinicAsync();
        var callId = "call-" + Guid.NewGuid();

        await clinic.SendMessageAsync(Status(callId, "ringing"));
        await clinic.SendMessageAsync(Status(callId, "in-progress"));
        await clinic.SendMessageAsync(Status(callId, "in-progress")); // repeated
        Assert.Equal("in-progress", (await Calls.GetAsync(clinic.Id, callId, "staff:reader@example.com")).Call!.Status);
        await clinic.SendMessageAsync(new { type = "end-of-call-report", endedReason = "customer-ended-call", call = new { id = callId } });
        await clinic.SendMessageAsync(Status(callId, "in-progress")); // late
        await clinic.SendMessageAsync(Status(callId, "queued"));      // very late

        var (call, _) = await Calls.GetAsync(clinic.Id, callId, "staff:reader@example.com");
        Assert.Equal("ended", call!.Status);
        Assert.Equal("customer-ended-call", call.EndedReason);
        Assert.Equal("+447700100111", call.CallerPhone);
        Assert.Equal(6, await clinic.CountAsync("call_messages", $"call_id = '{callId}'"));
    }

    [Fact]
    public async Task The_end_of_call_report_is_stored_only_after_redaction()
    {
        var clinic = await portal.CreateClinicAsync();
        var callId = "call-" + Guid.NewGuid();

        await clinic.SendMessageAsync(new
        {
            type = "end-of-call-report", endedReason = "assistant-ended-call", durationSeconds = 183.5,
            customer = new { number = "+447700100222" },
            call = new { id = callId },
            transcript = "AI: Hello. User: I'm Jo, jo@example.com, 07700 100222, DOB 01/02/1980. How much is lip filler at 14:00?",
            analysis = new { summary = "Caller (jo@example.com) asked about lip filler prices.", structuredData = new { procedure = "lip filler", email = "jo@example.com" } },
        });

        var (call, _) = await Calls.GetAsync(clinic.Id, callId, "staff:reader@example.com");
        Assert.Equal("+447700100222", call!.CallerPhone); // from message.customer when call.customer is absent
        Assert.Equal(183.5m, call.DurationSeconds);
        Assert.Equal("AI: Hello. User: I'm [REDACTED_NAME], [REDACTED_EMAIL], [REDACTED_PHONE], DOB [REDACTED_DOB]. How much is lip filler at 14:00?", call.Transcript);
        Assert.Equal("Caller ([REDACTED_EMAIL]) asked about lip filler prices.", call.Summary);
        Assert.Contains("[REDACTED_EMAIL]", call.StructuredData);
        Assert.Contains("lip filler", call.StructuredData);
        Assert.Equal(0, await portal.CountAsync("select count(*) from calls where transcript like '%jo@example.com%' or structured_data::text like '%jo@example.com%'"));
        // Kept only sealed under the call's data key (the caller is no patient), and each read is audited.
        Assert.Equal(1, await clinic.CountAsync("calls", $"call_id = '{callId}' and transcript is null and summary is null and structured_data is null " +
                                                        "and get_byte(transcript_sealed, 0) = 2 and data_key_id is not null"));
        Assert.Equal(1, await clinic.CountAsync("audit_log", $"action = 'call.transcript_read' and subject_id = '{callId}' and actor = 'staff:reader@example.com'"));
    }

    [Fact]
    public async Task A_call_is_linked_to_the_appointments_booked_during_it()
    {
        var clinic = await portal.CreateClinicAsync();
        var callId = "call-" + Guid.NewGuid();
        await clinic.SendMessageAsync(Status(callId, "in-progress"));
        var booked = await clinic.CallToolAsync("book_appointment",
            new { provider = "dr-a", date = Dates.Upcoming(DayOfWeek.Monday), time = "10:00", patient_name = "Linked Caller", patient_phone = "+447700100333" },
            callId: callId);

        var (_, appointments) = await Calls.GetAsync(clinic.Id, callId, "staff:reader@example.com");

        Assert.Equal([booked.GetProperty("appointment_id").GetGuid()], appointments);
    }
}
