using System.Net;
using ClinicPortal.Features.Clinics;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Isolation;

[Collection(PortalCollection.Name)]
public sealed class CredentialTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task Two_active_secrets_both_work_and_a_revoked_one_is_refused_and_audited()
    {
        var clinic = await portal.CreateClinicAsync();
        var rotated = "rotated-" + Guid.NewGuid().ToString("N");
        await using var conn = portal.Superuser();
        await conn.ExecAsync("insert into webhook_credentials (clinic_id, label, secret_hash) values (@Id, 'rotation', @hash)",
            new { clinic.Id, hash = ClinicPortal.Features.Webhooks.NewCredential.Hash(rotated) });
        var next = clinic with { Secret = rotated };

        Assert.Equal("ok", (await next.CallToolAsync("lookup_procedure", new { query = "botox" })).GetProperty("status").GetString());
        Assert.Equal("ok", (await clinic.CallToolAsync("lookup_procedure", new { query = "botox" })).GetProperty("status").GetString());
        await conn.ExecAsync("update webhook_credentials set revoked_at = now() where clinic_id = @Id and label = 'seeded'", new { clinic.Id });
        await Task.Delay(TimeSpan.FromSeconds(5.5)); // the cache's refresh interval

        using var old = clinic.Client();
        var refused = await old.PostAsync("/api/vapi/webhook", System.Net.Http.Json.JsonContent.Create(
            TestClinic.ToolCallsMessage("lookup_procedure", new { query = "botox" }, TestClinic.NewToolCallId())));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("ok", (await next.CallToolAsync("lookup_procedure", new { query = "botox" })).GetProperty("status").GetString());
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'credential.refused'"));
        Assert.Equal(2, await clinic.CountAsync("audit_log", "action = 'credential.used'"));
        Assert.Equal(2, await clinic.CountAsync("webhook_credentials", "last_used_at is not null"));
    }
}
