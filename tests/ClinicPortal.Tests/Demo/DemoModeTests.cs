using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ClinicPortal.Features.Demo;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Demo;

/// <summary>Demo data exists only in demo mode, and a portal started for real refuses to run beside it. Each test on its own database.</summary>
public sealed class DemoModeTests
{
    private static readonly (string, string) Demo = (DemoMode.Setting, "true");

    [Fact]
    public async Task Demo_mode_seeds_the_demo_clinics_once_and_they_answer_with_the_demo_facts()
    {
        var db = await TestDatabase.OwnDatabaseAsync("demo");
        var notesKey = ("Notes:Keys:demo", TestDatabase.NotesKey); // what demo mode keeps beside the embedded database
        await using (var first = db.Portal(Demo, notesKey)) first.CreateClient().Dispose();
        await using var portal = db.Portal(Demo, notesKey); // a second start seeds nothing twice
        using var riverside = portal.CreateClient();
        riverside.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "riverside-demo-secret");

        var r = await ToolAsync(riverside, "lookup_procedure", new { query = "liquid rhinoplasty" });
        var procedure = r.GetProperty("procedure");
        Assert.Equal("Liquid rhinoplasty", procedure.GetProperty("name").GetString());
        Assert.Equal(45, procedure.GetProperty("duration_minutes").GetInt32());
        Assert.Equal("No downtime", procedure.GetProperty("recovery").GetString());
        Assert.Equal("£2,500-£3,500", procedure.GetProperty("price_range").GetString());
        await using var su = new Npgsql.NpgsqlConnection(db.Superuser);
        Assert.Equal(1L, await su.ScalarAsync<long>("select count(*) from clinics where slug = 'riverside'"));
        Assert.Equal(4L, await su.ScalarAsync<long>("select count(*) from staff_users where email like '%.example'"));

        using var harbour = portal.CreateClient();
        harbour.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "harbour-demo-secret");
        var slots = await ToolAsync(harbour, "check_availability", new { date = Dates.Upcoming(DayOfWeek.Saturday), provider = "dr-silva" });
        Assert.StartsWith(Dates.Upcoming(DayOfWeek.Saturday) + "T09:00:00", slots.GetProperty("slots")[0].GetProperty("starts_at").GetString());

        // Harbour's HMAC credential: harbour-hmac-secret, sha256, hex, x-signature and x-timestamp over "{timestamp}.{body}".
        using var signed = portal.CreateClient();
        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { message = new { type = "status-update", status = "in-progress", call = new { id = "hmac-demo" } } });
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString();
        var signature = Convert.ToHexString(System.Security.Cryptography.HMACSHA256.HashData("harbour-hmac-secret"u8,
            [.. System.Text.Encoding.UTF8.GetBytes(timestamp + "."), .. body])).ToLowerInvariant();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/vapi/webhook") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("x-timestamp", timestamp);
        request.Headers.Add("x-signature", signature);
        Assert.Equal(HttpStatusCode.OK, (await signed.SendAsync(request)).StatusCode);
        Assert.Equal(1L, await su.ScalarAsync<long>("select count(*) from calls where call_id = 'hmac-demo'"));
    }

    [Fact]
    public async Task Without_demo_mode_nothing_is_seeded()
    {
        var db = await TestDatabase.OwnDatabaseAsync("prod");
        await using var portal = db.Portal();
        using var client = portal.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        await using var su = new Npgsql.NpgsqlConnection(db.Superuser);
        Assert.Equal(0L, await su.ScalarAsync<long>("select count(*) from clinics"));
        Assert.Equal(0L, await su.ScalarAsync<long>("select count(*) from staff_users"));
        Assert.Equal(0L, await su.ScalarAsync<long>("select count(*) from webhook_credentials"));
    }

    [Fact]
    public async Task Started_for_real_beside_demo_data_the_portal_refuses_and_says_how_to_remove_it_then_starts_once_it_is_removed()
    {
        var db = await TestDatabase.OwnDatabaseAsync("leftover");
        await using (var demo = db.Portal(Demo)) demo.CreateClient().Dispose();

        var (exitCode, message) = await PortalProcess.RunExpectingRefusalAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings:Clinic"] = db.App, ["ConnectionStrings:ClinicOwner"] = db.Owner, ["DataProtection:Key"] = TestDatabase.DataProtectionKey,
        });
        Assert.Equal(1, exitCode);
        Assert.Contains("ClinicPortal did not start", message);
        Assert.Contains("admin@riverside.example (demo account)", message);
        Assert.Contains("riverside-demo-secret (demo webhook secret)", message);
        Assert.Contains("./clinic remove-demo", message);
        Assert.EndsWith("(demo mode).", message.TrimEnd()); // the last thing printed says what to do

        await DemoMode.RemoveAsync(db.Owner, DemoSeed.Options.From(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build()));
        await using var portal = db.Portal();
        using var client = portal.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "riverside-demo-secret");
        var answer = await client.PostAsJsonAsync("/api/vapi/webhook", new { message = new { type = "status-update", status = "in-progress" } });
        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        await using var su = new Npgsql.NpgsqlConnection(db.Superuser);
        Assert.Equal(0L, await su.ScalarAsync<long>("select count(*) from staff_users"));
        Assert.Equal(1L, await su.ScalarAsync<long>("select count(*) from clinics where slug = 'riverside'")); // the clinic and its history stay
    }

    [Fact]
    public void The_shipped_settings_hold_no_demo_secret()
    {
        var settings = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.json"));
        Assert.DoesNotContain("secret", settings, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Demo", settings);
        Assert.DoesNotContain("Password", settings, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<System.Text.Json.JsonElement> ToolAsync(HttpClient client, string tool, object args)
    {
        var response = await client.PostAsJsonAsync("/api/vapi/webhook", new
        {
            message = new { type = "tool-calls", call = new { id = "demo-call" }, toolCallList = new[]
            {
                new { id = TestClinic.NewToolCallId(), type = "function", function = new { name = tool, arguments = args } },
            } },
        });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return System.Text.Json.JsonDocument.Parse(body.GetProperty("results")[0].GetProperty("result").GetString()!).RootElement;
    }
}
