using System.Net;
using ClinicPortal.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ClinicPortal.Tests.Security;

/// <summary>The keys behind sign-in cookies live in PostgreSQL, encrypted: every instance shares sign-ins, and a restart keeps them.</summary>
[Collection(PortalCollection.Name)]
public sealed class DataProtectionTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task A_sign_in_made_by_one_instance_is_honoured_by_another_and_the_keys_are_stored_encrypted()
    {
        var clinic = await portal.CreateClinicAsync();
        var cookie = await SignInCookie.GetAsync(portal, await StaffSession.NewAccountAsync(portal, clinic, "staff"));

        await using var other = portal.WithWebHostBuilder(_ => { }); // another host: its own key ring, read from the database
        using var client = other.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var page = new HttpRequestMessage(HttpMethod.Get, "/");
        page.Headers.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(page)).StatusCode);

        await using var su = portal.Superuser();
        var keys = await su.ColumnAsync<string>("select xml from data_protection_keys");
        Assert.NotEmpty(keys);
        Assert.All(keys, xml =>
        {
            Assert.Contains("<encryptedKey", xml);
            Assert.DoesNotContain("<masterKey", xml);
        });
    }

    [Fact]
    public async Task Outside_development_and_the_demo_the_portal_does_not_start_with_unencrypted_key_storage()
    {
        var db = await TestDatabase.OwnDatabaseAsync("no_dp_key");
        var (exitCode, message) = await PortalProcess.RunExpectingRefusalAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings:Clinic"] = db.App, ["ConnectionStrings:ClinicOwner"] = db.Owner,
        });
        Assert.Equal(1, exitCode);
        Assert.Contains("DataProtection:KeyFile", message);
    }
}
