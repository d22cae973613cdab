using ClinicPortal.Infrastructure.Database;
using System.Net;
using ClinicPortal.Features.Messages;
using ClinicPortal.TestSupport;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Messages;

/// <summary>Twilio's callbacks: signed or refused; delivery statuses; STOP and START.</summary>
[Collection(PortalCollection.Name)]
public sealed class TwilioCallbackTests(ClinicPortalFactory portal)
{
    /// <summary>Over 64 KB is refused before the form is parsed or the signature checked, whether Content-Length says so or not.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_callback_body_over_64_kb_is_refused_before_it_is_parsed(bool declaresLength)
    {
        using var client = portal.CreateClient();
        var body = "From=%2B447700100001&Body=" + new string('x', 65 * 1024);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/twilio/inbound") { Content = new StringContent(body) };
        request.Content.Headers.ContentType = new("application/x-www-form-urlencoded");
        if (!declaresLength)
        {
            request.Headers.TransferEncodingChunked = true; // no length up front: counted as it arrives
            request.Content.Headers.ContentLength = null;
        }
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public void The_signature_matches_twilios_published_example()
    {
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = "CA1234567890ABCDE", ["Caller"] = "+14158675309", ["Digits"] = "1234", ["From"] = "+14158675309", ["To"] = "+18005551212",
        };
        const string url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        const string signature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

        Assert.Equal(signature, FakeTwilio.Sign("12345", url, form)); // the tests sign as Twilio does
        Assert.True(TwilioSignature.IsValid("12345", url, Form(form.Reverse()), signature));
        // Twilio may sign the URL with the scheme's default port written out; our URL (Portal:PublicBaseUrl) has none.
        Assert.True(TwilioSignature.IsValid("12345", url, Form(form), FakeTwilio.Sign("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", form)));
        Assert.False(TwilioSignature.IsValid("12345", url, Form(form.Append(KeyValuePair.Create("Extra", "1"))), signature));
        Assert.False(TwilioSignature.IsValid("12345", url.Replace("bar=2", "bar=3"), Form(form), signature));
        Assert.False(TwilioSignature.IsValid("54321", url, Form(form), signature));
        Assert.False(TwilioSignature.IsValid("12345", url, Form(form), null));
    }

    private static Microsoft.AspNetCore.Http.FormCollection Form(IEnumerable<KeyValuePair<string, string>> pairs) =>
        new(pairs.ToDictionary(p => p.Key, p => new Microsoft.Extensions.Primitives.StringValues(p.Value)));

    /// <summary>Posts a callback as Twilio would: form-encoded, signed with the auth token over the full URL (unless told otherwise).</summary>
    private async Task<HttpResponseMessage> PostAsync(string pathAndQuery, Dictionary<string, string> form, string? signature = null)
    {
        using var client = portal.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", signature ?? FakeTwilio.Sign(FakeTwilio.AuthToken, "http://localhost" + pathAndQuery, form));
        return await client.SendAsync(request);
    }

    private async Task<(TestClinic Clinic, Guid Message, string Sid, string Phone)> SentFollowUpAsync()
    {
        var clinic = await portal.CreateClinicAsync();
        var phone = Phones.Unique();
        await clinic.EndCallAsync("call-" + Guid.NewGuid(), phone);
        var text = Assert.Single(await portal.Twilio.WaitForAsync(phone));
        await using var conn = portal.Superuser();
        for (var i = 0; i < 100 && await conn.ScalarAsync<string>("select status from sms_messages where to_phone = @phone", new { phone }) != "sent"; i++)
            await Task.Delay(50);
        var id = await conn.ScalarAsync<Guid>("select id from sms_messages where to_phone = @phone", new { phone });
        return (clinic, id, text.Sid, phone);
    }

    private async Task<(string Status, string? TwilioStatus, int? Code)> StatusAsync(Guid message)
    {
        await using var conn = portal.Superuser();
        return (await conn.Sql("select status, twilio_status, error_code from sms_messages where id = @message", new { message })
            .ListAsync(r => (r.GetString(0), r.Value<string>(1), r.Value<int?>(2)))).Single();
    }

    [Fact]
    public async Task A_signed_delivery_callback_marks_the_message_delivered_and_a_late_sent_does_not_undo_it()
    {
        var (clinic, message, sid, _) = await SentFollowUpAsync();
        var path = $"/api/twilio/status?c={clinic.Id}&m={message}";

        var delivered = await PostAsync(path, new() { ["MessageSid"] = sid, ["MessageStatus"] = "delivered", ["AccountSid"] = FakeTwilio.AccountSid });
        var late = await PostAsync(path, new() { ["MessageSid"] = sid, ["MessageStatus"] = "sent", ["AccountSid"] = FakeTwilio.AccountSid });

        Assert.Equal(HttpStatusCode.NoContent, delivered.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, late.StatusCode);
        Assert.Equal(("delivered", "delivered", (int?)null), await StatusAsync(message));
    }

    [Fact]
    public async Task An_undelivered_callback_keeps_twilios_error_code_for_staff()
    {
        var (clinic, message, sid, _) = await SentFollowUpAsync();

        var response = await PostAsync($"/api/twilio/status?c={clinic.Id}&m={message}",
            new() { ["MessageSid"] = sid, ["MessageStatus"] = "undelivered", ["ErrorCode"] = "30003" });

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(("undelivered", "undelivered", (int?)30003), await StatusAsync(message));
    }

    [Fact]
    public async Task A_callback_with_a_bad_or_missing_signature_is_refused_and_changes_nothing()
    {
        var (clinic, message, sid, _) = await SentFollowUpAsync();
        var path = $"/api/twilio/status?c={clinic.Id}&m={message}";
        var form = new Dictionary<string, string> { ["MessageSid"] = sid, ["MessageStatus"] = "failed" };

        var forged = await PostAsync(path, form, signature: FakeTwilio.Sign("not-the-token", "http://localhost" + path, form));
        var otherUrl = await PostAsync(path, form, signature: FakeTwilio.Sign(FakeTwilio.AuthToken, "http://localhost/api/twilio/status", form));
        using var client = portal.CreateClient();
        var unsigned = await client.PostAsync(path, new FormUrlEncodedContent(form));

        Assert.All([forged, otherUrl, unsigned], r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        Assert.Equal("application/problem+json", forged.Content.Headers.ContentType?.MediaType);
        Assert.Equal("sent", (await StatusAsync(message)).Status);
    }

    [Fact]
    public async Task A_callback_for_another_clinics_message_finds_nothing()
    {
        var (_, message, sid, _) = await SentFollowUpAsync();
        var other = await portal.CreateClinicAsync();

        var response = await PostAsync($"/api/twilio/status?c={other.Id}&m={message}", new() { ["MessageSid"] = sid, ["MessageStatus"] = "failed" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("sent", (await StatusAsync(message)).Status);
    }

    [Fact]
    public async Task Stop_opts_the_number_out_and_start_opts_it_back_in()
    {
        var (clinic, _, _, phone) = await SentFollowUpAsync();
        var inbound = new Dictionary<string, string> { ["From"] = phone, ["To"] = FakeTwilio.FromNumber, ["Body"] = " stop ", ["MessageSid"] = "SM" + Guid.NewGuid().ToString("N") };

        var stop = await PostAsync("/api/twilio/inbound", inbound);
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.Contains("<Response></Response>", await stop.Content.ReadAsStringAsync());
        Assert.Equal(1, await clinic.CountAsync("sms_opt_outs", $"phone = '{phone}' and reason = 'stop_keyword'"));
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'sms.opted_out'"));

        await clinic.EndCallAsync("call-" + Guid.NewGuid(), phone); // calls again, hangs up again: no text
        Assert.Equal(1, await clinic.CountAsync("sms_messages", $"to_phone = '{phone}' and status = 'opted_out'"));

        var start = await PostAsync("/api/twilio/inbound", new(inbound) { ["Body"] = "START" });
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        Assert.Equal(0, await clinic.CountAsync("sms_opt_outs", $"phone = '{phone}'"));
        await clinic.EndCallAsync("call-" + Guid.NewGuid(), phone);
        Assert.Equal(2, (await portal.Twilio.WaitForAsync(phone, count: 2)).Count);
    }

    /// <summary>A STOP names only the number: every clinic that texted it stops, and a clinic that never did keeps no opt-out.</summary>
    [Fact]
    public async Task Stop_opts_the_number_out_of_every_clinic_that_texted_it_and_of_no_other()
    {
        var (first, _, _, phone) = await SentFollowUpAsync();
        var second = await portal.CreateClinicAsync();
        await second.EndCallAsync("call-" + Guid.NewGuid(), phone);
        Assert.Equal(2, (await portal.Twilio.WaitForAsync(phone, count: 2)).Count);
        var silent = await portal.CreateClinicAsync();
        var someoneElse = Phones.Unique();
        await silent.EndCallAsync("call-" + Guid.NewGuid(), someoneElse);
        Assert.Single(await portal.Twilio.WaitForAsync(someoneElse)); // this clinic has texted too, just not this number

        await PostAsync("/api/twilio/inbound", new() { ["From"] = phone, ["To"] = FakeTwilio.FromNumber, ["Body"] = "STOP" });

        Assert.Equal(1, await first.CountAsync("sms_opt_outs", $"phone = '{phone}'"));
        Assert.Equal(1, await second.CountAsync("sms_opt_outs", $"phone = '{phone}'"));
        Assert.Equal(0, await silent.CountAsync("sms_opt_outs"));
    }

    /// <summary>With Advanced Opt-Out Twilio names the kind of text (OptOutType), custom keywords included; that decides.</summary>
    [Fact]
    public async Task Twilios_opt_out_type_decides_custom_keywords_included_and_optin_is_not_a_keyword()
    {
        var (clinic, _, _, phone) = await SentFollowUpAsync();
        var inbound = new Dictionary<string, string> { ["From"] = phone, ["To"] = FakeTwilio.FromNumber, ["MessageSid"] = "SM" + Guid.NewGuid().ToString("N") };

        await PostAsync("/api/twilio/inbound", new(inbound) { ["Body"] = "NO MORE PLEASE", ["OptOutType"] = "STOP" });
        Assert.Equal(1L, await clinic.CountAsync("sms_opt_outs", $"phone = '{phone}'"));
        await PostAsync("/api/twilio/inbound", new(inbound) { ["Body"] = "STOP", ["OptOutType"] = "HELP" }); // Twilio says help: no change
        await PostAsync("/api/twilio/inbound", new(inbound) { ["Body"] = "OPTIN" }); // not one of Twilio's keywords
        Assert.Equal(1L, await clinic.CountAsync("sms_opt_outs", $"phone = '{phone}'"));
        await PostAsync("/api/twilio/inbound", new(inbound) { ["Body"] = "Unstop" });
        Assert.Equal(0L, await clinic.CountAsync("sms_opt_outs", $"phone = '{phone}'"));
        await PostAsync("/api/twilio/inbound", new(inbound) { ["Body"] = "whatever", ["OptOutType"] = "STOP" });
        await PostAsync("/api/twilio/inbound", new(inbound) { ["Body"] = "BACK IN", ["OptOutType"] = "START" });
        Assert.Equal(0L, await clinic.CountAsync("sms_opt_outs", $"phone = '{phone}'"));
    }

    [Fact]
    public async Task A_partially_delivered_callback_is_accepted_and_kept_as_twilio_said_it()
    {
        var (clinic, message, sid, _) = await SentFollowUpAsync();
        var response = await PostAsync($"/api/twilio/status?c={clinic.Id}&m={message}",
            new() { ["MessageSid"] = sid, ["MessageStatus"] = "partially_delivered" });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(("delivered", "partially_delivered", (int?)null), await StatusAsync(message));
    }

    [Fact]
    public async Task A_forged_stop_opts_nobody_out()
    {
        var (clinic, _, _, phone) = await SentFollowUpAsync();
        var inbound = new Dictionary<string, string> { ["From"] = phone, ["Body"] = "STOP" };

        var response = await PostAsync("/api/twilio/inbound", inbound, signature: "bm90IGEgc2lnbmF0dXJl");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, await clinic.CountAsync("sms_opt_outs"));
    }

    [Fact]
    public async Task A_callback_that_is_not_a_form_is_a_bad_request()
    {
        using var client = portal.CreateClient();
        var response = await client.PostAsync("/api/twilio/status?c=x&m=y", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
