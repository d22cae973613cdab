using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ClinicPortal.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ClinicPortal.Tests.Security;

/// <summary>Each limit, on a portal whose limits are small: the refused request gets 429, Retry-After and a problem body, and writes nothing.</summary>
[Collection(PortalCollection.Name)]
public sealed class RateLimitTests(ClinicPortalFactory portal)
{
    private WebApplicationFactory<Program> Limited(params (string Key, string Value)[] limits) => portal.WithWebHostBuilder(b =>
    {
        foreach (var (key, value) in limits) b.UseSetting("RateLimits:" + key, value);
    });

    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(int.Parse(response.Headers.GetValues("Retry-After").Single()) >= 1);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task The_webhook_is_limited_per_clinic_credential_and_a_refused_call_books_nothing()
    {
        var clinic = await portal.CreateClinicAsync();
        var other = await portal.CreateClinicAsync();
        await using var limited = Limited(("Webhook:PermitsPerSecond", "0.01"), ("Webhook:Burst", "2"));
        using var client = limited.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", clinic.Secret);
        var date = Dates.Upcoming(DayOfWeek.Tuesday);
        HttpResponseMessage last = null!;
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(TestClinic.NewToolCallId());
            last = await client.PostAsJsonAsync("/api/vapi/webhook", TestClinic.ToolCallsMessage("book_appointment",
                new { provider = "dr-a", date, time = $"1{i}:00", patient_name = "Pat Test", patient_phone = Phones.Unique() }, ids[^1]));
        }
        await AssertRefusedAsync(last);
        Assert.Equal(0L, await clinic.CountAsync("tool_calls", $"tool_call_id = '{ids[^1]}'"));
        Assert.Equal(2L, await clinic.CountAsync("appointments"));

        using var otherClient = limited.CreateClient(); // another clinic's credential has its own bucket
        otherClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", other.Secret);
        var theirs = await otherClient.PostAsJsonAsync("/api/vapi/webhook", TestClinic.ToolCallsMessage("lookup_procedure",
            new { query = "lip filler" }, TestClinic.NewToolCallId()));
        Assert.Equal(HttpStatusCode.OK, theirs.StatusCode);
    }

    [Fact]
    public async Task Webhook_requests_with_a_wrong_secret_are_limited_per_address()
    {
        await using var limited = Limited(("WebhookUnauthenticated:PerIpPerMinute", "2"));
        using var client = limited.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-secret-" + Guid.NewGuid());
        var message = new { message = new { type = "status-update", status = "in-progress" } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/vapi/webhook", message)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/vapi/webhook", message)).StatusCode);
        await AssertRefusedAsync(await client.PostAsJsonAsync("/api/vapi/webhook", message));
    }

    [Fact]
    public async Task Sign_in_is_limited_per_address()
    {
        await using var limited = Limited(("SignIn:PerIpPerMinute", "2"));
        using var client = limited.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var form = () => new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "who@example.com", ["password"] = "guess" });
        await client.PostAsync("/account/sign-in", form());
        await client.PostAsync("/account/sign-in", form());
        await AssertRefusedAsync(await client.PostAsync("/account/sign-in", form()));
    }

    [Fact]
    public async Task Sign_in_is_limited_per_account_whatever_the_address_and_other_accounts_still_sign_in()
    {
        var clinic = await portal.CreateClinicAsync();
        var target = await StaffSession.NewAccountAsync(portal, clinic, "staff");
        var bystander = await StaffSession.NewAccountAsync(portal, clinic, "staff");
        await using var limited = Limited(("SignIn:PerAccountPerMinute", "2"));
        using var session = new StaffSession(limited.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }));
        var fields = () => new Dictionary<string, string> { ["email"] = target, ["password"] = "wrong-password-123", ["returnUrl"] = "/" };
        await session.PostFormAsync("/sign-in", "/account/sign-in", fields());
        await session.PostFormAsync("/sign-in", "/account/sign-in", fields());
        var refused = await session.PostFormAsync("/sign-in", "/account/sign-in", fields());
        await AssertRefusedAsync(refused);
        Assert.Equal(2L, await portal.CountAsync("select failed_attempts::bigint from staff_users where email = @target", new { target }));
        Assert.Equal("/", await session.SignInAsync(bystander));
    }

    [Fact]
    public async Task Public_pages_and_confirmation_links_are_limited_per_address()
    {
        var clinic = await portal.CreateClinicAsync();
        await using var limited = Limited(("Public:PerIpPerMinute", "2"));
        using var client = limited.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/i/{clinic.Slug}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/c/no-such-token")).StatusCode);
        await AssertRefusedAsync(await client.GetAsync("/c/another-token"));
    }

    [Fact]
    public async Task Twilio_callbacks_are_limited_per_address()
    {
        await using var limited = Limited(("Twilio:PerIpPerMinute", "2"));
        using var client = limited.CreateClient();
        var form = () => new FormUrlEncodedContent(new Dictionary<string, string> { ["From"] = "+447700100001", ["Body"] = "STOP" });
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/twilio/inbound", form())).StatusCode); // unsigned
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/twilio/inbound", form())).StatusCode);
        await AssertRefusedAsync(await client.PostAsync("/api/twilio/inbound", form()));
    }
}
