using ClinicPortal.Features.Messages;
using ClinicPortal.Infrastructure.Database;
using ClinicPortal.TestSupport;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Messages;

/// <summary>The hand-off: a caller who hangs up without booking gets one text about what they asked.</summary>
[Collection(PortalCollection.Name)]
public sealed class FollowUpTests(ClinicPortalFactory portal)
{
    private FakeTwilio Twilio => portal.Twilio;

    private static string NewCall() => "call-" + Guid.NewGuid().ToString("N");

    private async Task<Guid> ProcedureIdAsync(TestClinic clinic, string name)
    {
        await using var conn = portal.Superuser();
        return await conn.ScalarAsync<Guid>("select id from procedures where clinic_id = @Id and name = @name", new { clinic.Id, name });
    }

    private async Task<(string Status, int Attempts, string? Sid, int? Code, string? Error)> MessageAsync(TestClinic clinic, string phone)
    {
        await using var conn = portal.Superuser();
        return (await conn.Sql("select status, attempts, twilio_sid, error_code, error_message from sms_messages where clinic_id = @Id and to_phone = @phone",
                new { clinic.Id, phone })
            .ListAsync(r => (r.GetString(0), r.GetInt32(1), r.Value<string>(2), r.Value<int?>(3), r.Value<string>(4)))).Single();
    }

    private async Task<string> WaitForStatusAsync(TestClinic clinic, string phone, params string[] statuses)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var (status, _, _, _, _) = await MessageAsync(clinic, phone);
            if (statuses.Contains(status)) return status;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the message is still {status}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_caller_who_asked_about_a_procedure_and_did_not_book_gets_one_text_linking_to_it()
    {
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        var callId = NewCall();
        await clinic.SendMessageAsync(new { type = "status-update", status = "in-progress", call = new { id = callId, customer = new { number = phone } } });
        await clinic.CallToolAsync("lookup_procedure", new { query = "botox" }, callId: callId);
        await clinic.CallToolAsync("check_availability", new { date = Dates.Upcoming(DayOfWeek.Friday) }, callId: callId);

        await clinic.EndCallAsync(callId, phone);
        await clinic.EndCallAsync(callId, phone); // Vapi repeats itself: still one text

        var text = Assert.Single(await Twilio.WaitForAsync(phone));
        var procedure = await ProcedureIdAsync(clinic, "Anti-wrinkle injections");
        Assert.Contains("Anti-wrinkle injections", text.Body);
        Assert.Contains($"/i/{clinic.Slug}/{procedure}?r=", text.Body);
        Assert.Contains("Test clinic " + clinic.Slug, text.Body);
        Assert.Contains("+442079460999", text.Body); // the clinic's number, to book
        Assert.Equal(FakeTwilio.FromNumber, text.From);
        Assert.Contains($"/api/twilio/status?c={clinic.Id}&m=", text.StatusCallback);
        await WaitForStatusAsync(clinic, phone, "sent");
        var (_, attempts, sid, _, _) = await MessageAsync(clinic, phone);
        Assert.Equal((1, text.Sid), (attempts, sid));
        await Task.Delay(600); // a dispatcher pass later: still one
        Assert.Equal(1, Twilio.Posts(phone));
    }

    [Fact]
    public async Task A_caller_who_booked_gets_the_confirmation_and_no_follow_up()
    {
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        var callId = NewCall();
        await clinic.CallToolAsync("lookup_procedure", new { query = "lip filler" }, callId: callId);
        await clinic.CallToolAsync("book_appointment", new
        {
            provider = "dr-a", date = Dates.Upcoming(DayOfWeek.Tuesday), time = "11:00", patient_name = "Booked Caller", patient_phone = phone,
        }, callId: callId);
        await clinic.EndCallAsync(callId, phone);

        var text = Assert.Single(await Twilio.WaitForAsync(phone));
        Assert.Contains("please confirm your appointment with Dr Ada A", text.Body);
        Assert.Equal(0, await clinic.CountAsync("sms_messages", "kind = 'follow_up'"));
    }

    [Fact]
    public async Task The_procedure_can_come_from_the_reports_structured_data_and_without_one_the_text_is_general()
    {
        var clinic = await portal.CreateClinicAsync();
        var mentioned = Phones.Unique();
        var vague = Phones.Unique();

        await clinic.EndCallAsync(NewCall(), mentioned, new { procedure = "non surgical nose job" });
        await clinic.EndCallAsync(NewCall(), vague, new { procedure = "" });

        var specific = Assert.Single(await Twilio.WaitForAsync(mentioned));
        Assert.Contains($"/i/{clinic.Slug}/{await ProcedureIdAsync(clinic, "Liquid rhinoplasty")}?r=", specific.Body);
        var general = Assert.Single(await Twilio.WaitForAsync(vague));
        Assert.Contains("call us on +442079460999", general.Body);
        Assert.Contains($"/i/{clinic.Slug}?r=", general.Body);
    }

    [Fact]
    public async Task No_text_goes_to_a_withheld_or_invalid_number()
    {
        var clinic = await portal.CreateClinicAsync();
        await clinic.EndCallAsync(NewCall(), null);
        await clinic.EndCallAsync(NewCall(), "12");
        await clinic.EndCallAsync(NewCall(), "anonymous");

        Assert.Equal(0, await clinic.CountAsync("sms_messages"));
        Assert.Equal(3, await clinic.CountAsync("calls", "status = 'ended'"));
    }

    [Fact]
    public async Task Transient_failures_are_retried_with_backoff_until_twilio_accepts()
    {
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        Twilio.Script(phone, FakeTwilio.ServerError, FakeTwilio.TooManyRequests);

        await clinic.EndCallAsync(NewCall(), phone);

        Assert.Single(await Twilio.WaitForAsync(phone));
        await WaitForStatusAsync(clinic, phone, "sent");
        Assert.Equal(3, Twilio.Posts(phone));
        var (_, attempts, _, code, error) = await MessageAsync(clinic, phone);
        Assert.Equal((3, null, null), (attempts, code, error));
    }

    /// <summary>A full sender queue (21611) and a queue overflow (30001) pass: they are retried like a 429.</summary>
    [Fact]
    public async Task Full_queues_at_twilio_are_retried_until_it_accepts()
    {
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        Twilio.Script(phone, new FakeTwilio.Behaviour.Refuse(400, 21611, "This 'From' number has exceeded the maximum number of queued messages"),
            new FakeTwilio.Behaviour.Refuse(400, 30001, "Queue overflow"));

        await clinic.EndCallAsync(NewCall(), phone);

        Assert.Single(await Twilio.WaitForAsync(phone));
        await WaitForStatusAsync(clinic, phone, "sent");
        Assert.Equal(3, Twilio.Posts(phone));
    }

    /// <summary>Twilio:MessagingServiceSid in place of FromNumber: sent from the service, and found again by the send-once look-up.</summary>
    [Fact]
    public async Task A_messaging_service_sends_in_place_of_a_from_number()
    {
        var service = "MG" + Guid.NewGuid().ToString("N");
        var options = Microsoft.Extensions.Options.Options.Create(new TwilioOptions
        {
            BaseUrl = Twilio.BaseUrl, AccountSid = FakeTwilio.AccountSid, AuthToken = FakeTwilio.AuthToken, MessagingServiceSid = service,
        });
        Assert.True(options.Value.Configured);
        using var http = new HttpClient(new TwilioBaseUrlHandler(options) { InnerHandler = new HttpClientHandler() });
        var twilio = new TwilioClient(http, options);
        var phone = Phones.Unique();

        var sent = Assert.IsType<TwilioSend.Accepted>(await twilio.SendAsync(phone, "Hello from the service ref-123", null, CancellationToken.None));

        Assert.Equal(service, Assert.Single(Twilio.MessagesTo(phone)).MessagingServiceSid);
        Assert.Equal(sent.Sid, (await twilio.FindAsync(phone, "ref-123", CancellationToken.None))?.Sid);
    }

    [Fact]
    public async Task Twilio_failing_every_time_ends_in_a_failure_staff_can_see_after_a_bounded_number_of_attempts()
    {
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        Twilio.Script(phone, Enumerable.Repeat(FakeTwilio.ServerError, 10).ToArray());

        await clinic.EndCallAsync(NewCall(), phone);

        await WaitForStatusAsync(clinic, phone, "failed");
        var (_, attempts, _, code, error) = await MessageAsync(clinic, phone);
        Assert.Equal((5, 20500), (attempts, code));
        Assert.Contains("gave up after 5 attempts", error);
        Assert.Equal(5, Twilio.Posts(phone));
        Assert.Empty(Twilio.MessagesTo(phone));
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'sms.failed'"));
    }

    [Fact]
    public async Task An_invalid_number_is_a_permanent_failure_and_is_not_retried()
    {
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        Twilio.Script(phone, FakeTwilio.InvalidNumber);

        await clinic.EndCallAsync(NewCall(), phone);

        await WaitForStatusAsync(clinic, phone, "failed");
        await Task.Delay(1_000); // retries would have come by now
        Assert.Equal(1, Twilio.Posts(phone));
        var (_, attempts, _, code, _) = await MessageAsync(clinic, phone);
        Assert.Equal((1, 21211), (attempts, code));
    }

    [Fact]
    public async Task Twilio_saying_unsubscribed_opts_the_number_out_so_later_calls_get_no_text()
    {
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        Twilio.Unsubscribe(phone);

        await clinic.EndCallAsync(NewCall(), phone);
        await WaitForStatusAsync(clinic, phone, "failed");
        Assert.Equal(1, await clinic.CountAsync("sms_opt_outs", $"phone = '{phone}' and reason = 'twilio_21610'"));

        await clinic.EndCallAsync(NewCall(), phone);
        Assert.Equal(1, await clinic.CountAsync("sms_messages", $"to_phone = '{phone}' and status = 'opted_out'"));
        await Task.Delay(600);
        Assert.Equal(1, Twilio.Posts(phone));
    }

    [Fact]
    public async Task A_slow_twilio_that_accepted_after_we_gave_up_waiting_is_found_and_not_sent_again()
    {
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        Twilio.Script(phone, new FakeTwilio.Behaviour.AcceptSlowly(TimeSpan.FromSeconds(3))); // the portal waits 1 s

        await clinic.EndCallAsync(NewCall(), phone);

        var text = Assert.Single(await Twilio.WaitForAsync(phone));
        await WaitForStatusAsync(clinic, phone, "sent");
        var (_, attempts, sid, _, _) = await MessageAsync(clinic, phone);
        Assert.Equal((2, text.Sid), (attempts, sid)); // the second attempt found the first in Twilio's list
        Assert.Equal(1, Twilio.Posts(phone));
        await Task.Delay(3_000); // the slow answer comes and goes
        Assert.Single(Twilio.MessagesTo(phone));
    }

    [Fact]
    public async Task A_crash_between_twilios_acceptance_and_our_commit_does_not_send_the_text_twice()
    {
        portal.CreateClient().Dispose(); // this test's own portal is the one left standing, to take over
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        // The doomed instance waits up to 8 s for Twilio's answer (time enough to be killed while it waits, on a busy
        // machine: with 4 s, a full run once killed it only after it had given up, retried and found the text itself), and
        // its lease is as short as that allows (more than twice the wait), so the survivor takes over soon after the crash.
        await using var doomed = await PortalProcess.StartAsync(portal.Database,
            new Dictionary<string, string> { ["Twilio:TimeoutSeconds"] = "8", ["Sms:LeaseSeconds"] = "17" });
        Twilio.Script(phone, new FakeTwilio.Behaviour.AcceptSlowly(TimeSpan.FromSeconds(30)));

        using (var http = new HttpClient { BaseAddress = new Uri(doomed.Url) })
        {
            http.DefaultRequestHeaders.Authorization = new("Bearer", clinic.Secret);
            var report = new
            {
                message = new { type = "end-of-call-report", endedReason = "customer-ended-call", call = new { id = NewCall(), customer = new { number = phone } } },
            };
            (await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(http, "/api/vapi/webhook", report)).EnsureSuccessStatusCode();
        }
        var text = Assert.Single(await Twilio.WaitForAsync(phone)); // Twilio has it; the doomed instance is waiting for the answer
        await doomed.CrashAsync();
        Assert.Equal("sending", (await MessageAsync(clinic, phone)).Status);

        await WaitForStatusAsync(clinic, phone, "sent");
        var (_, attempts, sid, _, _) = await MessageAsync(clinic, phone);
        Assert.Equal((2, text.Sid), (attempts, sid));
        Assert.Equal(1, Twilio.Posts(phone));
    }
}
