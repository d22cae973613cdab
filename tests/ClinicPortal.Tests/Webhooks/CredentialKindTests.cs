using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ClinicPortal.Features.Settings;
using ClinicPortal.Features.Webhooks;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Webhooks;

/// <summary>
/// Vapi's two credential kinds, as its custom credentials send them (docs/vapi.md): a bearer token in a configurable header,
/// and an HMAC signature over the raw body and a timestamp. Signatures here are made the way Vapi makes them, independently
/// of the portal's code: HMAC of the payload format filled in, hex or base64, after an optional prefix.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class CredentialKindTests(ClinicPortalFactory portal)
{
    private const string Admin = "staff:admin@example.com";
    private ClinicSettingsStore Store => portal.Services.GetRequiredService<ClinicSettingsStore>();

    [Fact]
    public async Task A_request_signed_with_the_default_hmac_plan_runs_its_tool_calls()
    {
        var clinic = await portal.CreateClinicAsync();
        var secret = await CreateAsync(clinic, new NewCredential("Vapi HMAC", "hmac"));
        var body = ToolCallBody("lookup_procedure", new { query = "lip filler" });
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString();

        using var response = await SendAsync(body, ("x-timestamp", now), ("x-signature", Hex(HMACSHA256.HashData(Key(secret), Payload(now, body)))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results")[0].GetProperty("result").GetString()!;
        Assert.Equal("Lip filler", JsonDocument.Parse(result).RootElement.GetProperty("procedure").GetProperty("name").GetString());
        Assert.Equal(1, await clinic.CountAsync("tool_calls"));
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'credential.used'"));
    }

    [Fact]
    public async Task Every_algorithm_encoding_prefix_and_header_name_of_the_plan_is_honoured()
    {
        var clinic = await portal.CreateClinicAsync();
        var sha512 = await CreateAsync(clinic, new NewCredential("sha512", "hmac", Algorithm: "sha512", SignatureHeader: "X-Vapi-Signature",
            TimestampHeader: "X-Vapi-Timestamp", PayloadFormat: "v1:{timestamp}:{body}", Encoding: "base64", Prefix: "sha512="));
        var sha1 = await CreateAsync(clinic, new NewCredential("sha1", "hmac", Algorithm: "sha1", PayloadFormat: "{method} {url} {timestamp}.{body}"));
        var (body, other) = (ToolCallBody("lookup_procedure", new { query = "botox" }), ToolCallBody("lookup_procedure", new { query = "peel" }));
        var millis = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(); // milliseconds are accepted too

        using var first = await SendAsync(body, ("X-Vapi-Timestamp", millis),
            ("X-Vapi-Signature", "sha512=" + Convert.ToBase64String(HMACSHA512.HashData(Key(sha512), Encoding.UTF8.GetBytes($"v1:{millis}:").Concat(body).ToArray()))));
        var url = portal.Server.BaseAddress + "api/vapi/webhook";
        using var second = await SendAsync(other, ("x-timestamp", millis),
            ("x-signature", Hex(HMACSHA1.HashData(Key(sha1), Encoding.UTF8.GetBytes($"POST {url} {millis}.").Concat(other).ToArray()))));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(2, await clinic.CountAsync("tool_calls"));
    }

    [Fact]
    public async Task A_changed_body_a_stale_or_future_timestamp_and_a_missing_header_are_each_refused_and_write_nothing()
    {
        var clinic = await portal.CreateClinicAsync();
        var secret = await CreateAsync(clinic, new NewCredential("Vapi HMAC", "hmac"));
        var body = ToolCallBody("book_appointment", new
        {
            provider = "dr-a", date = Dates.Upcoming(DayOfWeek.Tuesday), time = "10:00", patient_name = "Pat Test", patient_phone = Phones.Unique(),
        });
        string At(TimeSpan offset) => DateTimeOffset.UtcNow.Add(offset).ToUnixTimeSeconds().ToString();
        string Sign(string ts, byte[] signed) => Hex(HMACSHA256.HashData(Key(secret), Payload(ts, signed)));
        var now = At(TimeSpan.Zero);
        var tampered = ToolCallBody("book_appointment", new { provider = "dr-b" });

        var cases = new (string Case, byte[] Body, (string, string)[] Headers, string Says)[]
        {
            ("changed body", tampered, [("x-timestamp", now), ("x-signature", Sign(now, body))], "does not match"),
            ("6 minutes old", body, [("x-timestamp", At(TimeSpan.FromMinutes(-6))), ("x-signature", Sign(At(TimeSpan.FromMinutes(-6)), body))], "5 minutes old"),
            ("2 minutes ahead", body, [("x-timestamp", At(TimeSpan.FromMinutes(2))), ("x-signature", Sign(At(TimeSpan.FromMinutes(2)), body))], "ahead"),
            ("no timestamp", body, [("x-signature", Sign(now, body))], "Send the clinic's webhook secret"),
            ("not hex", body, [("x-timestamp", now), ("x-signature", "zz" + Sign(now, body)[2..])], "does not match"),
            ("wrong secret", body, [("x-timestamp", now), ("x-signature", Hex(HMACSHA256.HashData("guess"u8, Payload(now, body))))], "does not match"),
        };
        foreach (var (name, sent, headers, says) in cases)
        {
            using var response = await SendAsync(sent, headers);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{name}: {response.StatusCode}");
            Assert.Contains(says, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }
        using var within = await SendAsync(body, ("x-timestamp", At(TimeSpan.FromSeconds(30))), ("x-signature", Sign(At(TimeSpan.FromSeconds(30)), body)));
        Assert.Equal(HttpStatusCode.OK, within.StatusCode); // a clock 30 s fast is within the minute allowed

        Assert.Equal(1, await clinic.CountAsync("appointments"));
        Assert.Equal(1, await clinic.CountAsync("tool_calls"));
    }

    [Fact]
    public async Task The_hmac_secret_is_stored_sealed_not_hashed_and_does_not_work_as_a_bearer_token()
    {
        var clinic = await portal.CreateClinicAsync();
        var secret = await CreateAsync(clinic, new NewCredential("Vapi HMAC", "hmac"));

        await using var su = portal.Superuser();
        var stored = await su.ScalarAsync<byte[]>("select secret_sealed from webhook_credentials where clinic_id = @Id and kind = 'hmac'", new { clinic.Id });
        Assert.True(stored!.Length > 40);
        Assert.DoesNotContain(Convert.ToHexString(Encoding.UTF8.GetBytes(secret)), Convert.ToHexString(stored));
        using var bearer = (clinic with { Secret = secret }).Client();
        var refused = await bearer.PostAsJsonAsync("/api/vapi/webhook", TestClinic.ToolCallsMessage("lookup_procedure", new { query = "botox" }, TestClinic.NewToolCallId()));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'credential.created' and detail->>'kind' = 'hmac' and detail::text not like '%" + secret + "%'"));
    }

    [Fact]
    public async Task A_revoked_hmac_credential_is_refused_at_once_and_the_refusal_is_audited()
    {
        var clinic = await portal.CreateClinicAsync();
        var secret = await CreateAsync(clinic, new NewCredential("old HMAC", "hmac"));
        var (_, credentials) = await Store.LoadAsync(clinic.Id);
        Assert.True(await Store.RevokeCredentialAsync(clinic.Id, credentials.Single(c => c.Label == "old HMAC").Id, Admin));
        var body = ToolCallBody("lookup_procedure", new { query = "botox" });
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString();

        using var response = await SendAsync(body, ("x-timestamp", now), ("x-signature", Hex(HMACSHA256.HashData(Key(secret), Payload(now, body)))));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await clinic.CountAsync("tool_calls"));
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'credential.refused'"));
    }

    [Fact]
    public async Task A_bearer_credential_is_read_from_its_own_header_with_or_without_the_bearer_prefix_and_from_authorization()
    {
        var clinic = await portal.CreateClinicAsync();
        var token = await CreateAsync(clinic, new NewCredential("custom header", HeaderName: "X-Clinic-Token"));
        var body = ToolCallBody("lookup_procedure", new { query = "botox" });

        var accepted = new[] { ("X-Clinic-Token", token), ("X-Clinic-Token", "Bearer " + token), ("Authorization", token), ("Authorization", "Bearer " + token),
            ("X-Vapi-Secret", token) };
        foreach (var header in accepted)
        {
            using var response = await SendAsync(body, header);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{header.Item1}: {response.StatusCode}");
        }
        using var elsewhere = await SendAsync(body, ("X-Other-Token", token));
        Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);
        var (_, credentials) = await Store.LoadAsync(clinic.Id);
        Assert.Equal(("bearer", "X-Clinic-Token"), credentials.Where(c => c.Label == "custom header").Select(c => (c.Kind, c.Sends)).Single());
    }

    [Fact]
    public async Task Settings_that_would_make_a_weak_or_unusable_credential_are_refused_with_a_reason_and_nothing_is_created()
    {
        var clinic = await portal.CreateClinicAsync();
        var refused = new (NewCredential, string)[]
        {
            (new("no body", "hmac", PayloadFormat: "{timestamp}"), "{body}"),
            (new("no timestamp", "hmac", PayloadFormat: "{body}"), "{timestamp}"),
            (new("svix", "hmac", PayloadFormat: "{svix-id}.{timestamp}.{body}"), "only {timestamp}, {body}, {method} and {url}"),
            (new("md5", "hmac", Algorithm: "md5"), "sha256, sha512 or sha1"),
            (new("hex?", "hmac", Encoding: "base32"), "hex or base64"),
            (new("header", "hmac", SignatureHeader: "x signature"), "header names"),
            (new("bearer header", HeaderName: "Auth: x"), "header name"),
            (new("oauth", "oauth2"), "bearer or hmac"),
        };
        foreach (var (credential, reason) in refused)
        {
            var (secret, problem) = await Store.CreateCredentialAsync(clinic.Id, credential, Admin);
            Assert.Null(secret);
            Assert.Contains(reason, problem);
        }
        Assert.Equal(1, await clinic.CountAsync("webhook_credentials")); // the clinic's first one only
        Assert.Equal(0, await clinic.CountAsync("audit_log", "action = 'credential.created'"));
    }

    [Fact]
    public async Task The_database_refuses_an_hmac_credential_that_does_not_sign_the_body()
    {
        var clinic = await portal.CreateClinicAsync();
        await using var su = portal.Superuser();
        var e = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => su.ExecAsync("""
            insert into webhook_credentials (clinic_id, label, secret_hash, kind, secret_sealed, algorithm, signature_header, timestamp_header,
                                             payload_format, signature_encoding)
            values (@Id, 'weak', sha256('x'::bytea), 'hmac', '\x00', 'sha256', 'x-signature', 'x-timestamp', '{timestamp}', 'hex')
            """, new { clinic.Id }));
        Assert.Equal("23514", e.SqlState);
    }

    private async Task<string> CreateAsync(TestClinic clinic, NewCredential credential)
    {
        var (secret, problem) = await Store.CreateCredentialAsync(clinic.Id, credential, Admin);
        Assert.Null(problem);
        return secret!;
    }

    private async Task<HttpResponseMessage> SendAsync(byte[] body, params (string Name, string Value)[] headers)
    {
        using var client = portal.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/vapi/webhook") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return await client.SendAsync(request);
    }

    private static byte[] ToolCallBody(string name, object arguments) =>
        JsonSerializer.SerializeToUtf8Bytes(TestClinic.ToolCallsMessage(name, arguments, TestClinic.NewToolCallId()));

    private static byte[] Key(string secret) => Encoding.UTF8.GetBytes(secret);

    private static byte[] Payload(string timestamp, byte[] body) => [.. Encoding.UTF8.GetBytes(timestamp + "."), .. body];

    private static string Hex(byte[] mac) => Convert.ToHexString(mac).ToLowerInvariant();
}
