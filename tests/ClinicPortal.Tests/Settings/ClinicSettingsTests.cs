using System.Net;
using System.Net.Http.Json;
using ClinicPortal.Features.Settings;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Settings;

[Collection(PortalCollection.Name)]
public sealed class ClinicSettingsTests(ClinicPortalFactory portal)
{
    private ClinicSettingsStore Store => portal.Services.GetRequiredService<ClinicSettingsStore>();

    [Fact]
    public async Task Settings_save_audited_and_bad_values_are_refused_with_a_reason_and_change_nothing()
    {
        var clinic = await portal.CreateClinicAsync();

        Assert.Null(await Store.SaveAsync(clinic.Id, "Europe/Dublin", 120, "staff:admin@example.com"));
        var zone = await Store.SaveAsync(clinic.Id, "Mars/Olympus_Mons", 120, "staff:admin@example.com");
        var notice = await Store.SaveAsync(clinic.Id, "Europe/Dublin", 99_999, "staff:admin@example.com");

        Assert.Contains("not a time zone", zone);
        Assert.Contains("minimum notice", notice);
        var (settings, _) = await Store.LoadAsync(clinic.Id);
        Assert.Equal(("Europe/Dublin", 120), (settings.TimeZone, settings.MinNoticeMinutes));
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'clinic.settings_changed' and actor = 'staff:admin@example.com'"));
    }

    [Fact]
    public async Task Text_settings_save_audited_and_a_cap_out_of_range_is_refused_and_changes_nothing()
    {
        var clinic = await portal.CreateClinicAsync();
        var (defaults, _) = await Store.LoadAsync(clinic.Id);
        Assert.Equal(new TextSettings(ExpireUnconfirmed: true, SmsAnyCountry: false, SmsDailyCap: 5), defaults.Texts);

        Assert.Null(await Store.SaveTextsAsync(clinic.Id, new TextSettings(false, true, 3), "staff:admin@example.com"));
        Assert.Contains("between 1 and 100", await Store.SaveTextsAsync(clinic.Id, new TextSettings(true, false, 0), "staff:admin@example.com"));

        var (settings, _) = await Store.LoadAsync(clinic.Id);
        Assert.Equal(new TextSettings(false, true, 3), settings.Texts);
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'clinic.text_settings_changed' and actor = 'staff:admin@example.com'"));
    }

    [Fact]
    public async Task The_transfer_number_is_read_in_the_clinics_country_audited_and_a_non_number_is_refused()
    {
        var clinic = await portal.CreateClinicAsync();
        Assert.Null(await Store.SaveTransferPhoneAsync(clinic.Id, "020 7946 0321", "staff:admin@example.com"));
        Assert.Contains("not a phone number", await Store.SaveTransferPhoneAsync(clinic.Id, "reception", "staff:admin@example.com"));
        Assert.Equal("+442079460321", (await Store.LoadAsync(clinic.Id)).Settings.TransferPhone);
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'clinic.transfer_phone_changed'"));
        Assert.Null(await Store.SaveTransferPhoneAsync(clinic.Id, "", "staff:admin@example.com")); // back to the clinic's phone
        Assert.Null((await Store.LoadAsync(clinic.Id)).Settings.TransferPhone);
    }

    [Fact]
    public async Task Assistant_settings_save_audited_and_reach_the_assistant_vapi_is_given()
    {
        var clinic = await portal.CreateClinicAsync();
        Assert.Equal(new AssistantSettings(true, null, null, null, null), (await Store.LoadAsync(clinic.Id)).Settings.Assistant);

        Assert.Null(await Store.SaveAssistantAsync(clinic.Id, new AssistantSettings(true, " ", "cred_42", "gpt-4o-mini", "Paige"), "staff:admin@example.com"));
        Assert.Contains("100 characters", await Store.SaveAssistantAsync(clinic.Id, new AssistantSettings(true, new string('a', 101), null, null, null), "staff:admin@example.com"));

        Assert.Equal(new AssistantSettings(true, null, "cred_42", "gpt-4o-mini", "Paige"), (await Store.LoadAsync(clinic.Id)).Settings.Assistant);
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'clinic.assistant_changed'"));
        var answer = (System.Text.Json.JsonElement)System.Text.Json.JsonSerializer.SerializeToElement(
            await portal.Services.GetRequiredService<ClinicPortal.Features.Webhooks.AssistantRequests>().AnswerAsync(clinic.Id, CancellationToken.None),
            new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)); // as the webhook answers it
        var assistant = answer.GetProperty("assistant");
        Assert.Equal("gpt-4o-mini", assistant.GetProperty("model").GetProperty("model").GetString());
        Assert.Equal("Paige", assistant.GetProperty("voice").GetProperty("voiceId").GetString());
        Assert.Equal("cred_42", assistant.GetProperty("model").GetProperty("tools")[0].GetProperty("server").GetProperty("credentialId").GetString());
    }

    [Fact]
    public async Task A_new_secret_works_at_once_and_a_revoked_one_is_refused_at_once()
    {
        var clinic = await portal.CreateClinicAsync();
        var (secret, _) = await Store.CreateCredentialAsync(clinic.Id, new("rotation test"), "staff:admin@example.com");
        var rotated = clinic with { Secret = secret! };

        Assert.Equal("ok", (await rotated.CallToolAsync("lookup_procedure", new { query = "botox" })).GetProperty("status").GetString());
        var (_, credentials) = await Store.LoadAsync(clinic.Id);
        Assert.True(await Store.RevokeCredentialAsync(clinic.Id, credentials.Single(c => c.Label == "rotation test").Id, "staff:admin@example.com"));

        using var client = rotated.Client();
        var refused = await client.PostAsJsonAsync("/api/vapi/webhook",
            TestClinic.ToolCallsMessage("lookup_procedure", new { query = "botox" }, TestClinic.NewToolCallId()));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("ok", (await clinic.CallToolAsync("lookup_procedure", new { query = "botox" })).GetProperty("status").GetString());
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'credential.created'"));
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'credential.revoked'"));
        Assert.StartsWith("cps_", secret);
        Assert.Equal(0, await clinic.CountAsync("webhook_credentials", $"encode(secret_hash, 'escape') like '%{secret}%'"));
    }

    [Fact]
    public async Task A_changed_time_zone_reaches_signed_in_staff_at_their_next_request()
    {
        var clinic = await portal.CreateClinicAsync();
        using var session = StaffSession.Open(portal);
        await session.SignInAsync(await StaffSession.NewAccountAsync(portal, clinic, "admin"));
        Assert.Contains("Europe/London", await session.Client.GetStringAsync("/"));

        Assert.Null(await Store.SaveAsync(clinic.Id, "America/New_York", 60, "staff:admin@example.com"));

        Assert.Contains("America/New_York", await session.Client.GetStringAsync("/"));
        Assert.Equal(HttpStatusCode.OK, (await session.Client.GetAsync("/admin/settings")).StatusCode);
    }
}
