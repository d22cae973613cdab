using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClinicPortal.Features.Security;
using ClinicPortal.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Security;

[Collection(PortalCollection.Name)]
public sealed class TransportAndHeaderTests(ClinicPortalFactory portal)
{
    [Theory]
    [InlineData("/sign-in", "strict-origin-when-cross-origin")]
    [InlineData("/c/not-a-real-token", "no-referrer")]
    [InlineData("/health/live", "strict-origin-when-cross-origin")]
    [InlineData("/no/such/page", "strict-origin-when-cross-origin")]
    public async Task Every_response_carries_the_security_headers(string path, string referrerPolicy)
    {
        using var client = portal.CreateClient();
        var response = await client.GetAsync(path);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self';", csp);
        Assert.DoesNotContain("unsafe-inline';", csp.Split("script-src")[1].Split(';')[0]);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("base-uri 'self'", csp);
        Assert.Contains("form-action 'self'", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(referrerPolicy, response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("camera=()", response.Headers.GetValues("Permissions-Policy").Single());
    }

    [Fact]
    public async Task No_page_the_portal_serves_has_an_inline_script_or_handler()
    {
        using var session = StaffSession.Open(portal);
        var clinic = await portal.CreateClinicAsync();
        await session.SignInAsync(await StaffSession.NewAccountAsync(portal, clinic, "admin"));
        foreach (var page in new[] { "/sign-in", "/", "/appointments", "/admin/settings" })
        {
            var html = await session.Client.GetStringAsync(page);
            Assert.DoesNotMatch(@"<script(?![^>]*\bsrc=)[^>]*>", html);
            Assert.DoesNotMatch(@"\son[a-z]+=""", html);
        }
    }

    /// <summary>Deny by default: only these endpoints let a stranger in; every other one falls to the signed-in policy.</summary>
    [Fact]
    public void Only_the_listed_endpoints_allow_anonymous_callers()
    {
        var anonymous = portal.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            .Select(e => e.RoutePattern.RawText!.TrimStart('/')).Distinct().Order().ToList();
        Assert.Equal(new[]
        {
            "account/sign-in", "api/twilio/inbound", "api/twilio/status", "api/vapi/tools", "api/vapi/webhook", "c/{Token}",
            "health/live", "health/ready", "i/{ClinicSlug}", "i/{ClinicSlug}/{ProcedureId:guid}", "not-found", "sign-in",
        }.Order(), anonymous);
    }

    [Fact]
    public async Task Readiness_tells_a_stranger_only_the_status()
    {
        using var client = portal.CreateClient();
        var body = await client.GetFromJsonAsync<JsonElement>("/health/ready");
        Assert.Equal(["status"], body.EnumerateObject().Select(p => p.Name));
    }

    /// <summary>Outside Development, behind a named proxy that terminated TLS: HSTS, and a sign-in cookie that is always Secure.</summary>
    [Fact]
    public async Task Behind_a_known_proxy_over_https_the_portal_sends_hsts_and_a_secure_sign_in_cookie()
    {
        var clinic = await portal.CreateClinicAsync();
        var email = await StaffSession.NewAccountAsync(portal, clinic, "staff");
        await using var production = portal.WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Production");
            b.UseSetting("ForwardedHeaders:KnownProxies:0", "10.1.2.3");
            b.ConfigureServices(s => s.AddSingleton<IStartupFilter>(new FromAddress("10.1.2.3")));
        });
        using var client = production.CreateClient(new() { AllowAutoRedirect = false });
        var viaProxy = new HttpRequestMessage(HttpMethod.Get, "/sign-in");
        viaProxy.Headers.Add("X-Forwarded-Proto", "https");
        viaProxy.Headers.Add("X-Forwarded-Host", "portal.clinic.example"); // HSTS is never sent to localhost
        var page = await client.SendAsync(viaProxy);
        Assert.Contains("max-age=31536000", page.Headers.GetValues("Strict-Transport-Security").Single());

        var plain = new HttpRequestMessage(HttpMethod.Get, "/sign-in"); // plain http through the proxy: no HSTS on an http answer
        plain.Headers.Add("X-Forwarded-Host", "portal.clinic.example");
        Assert.False((await client.SendAsync(plain)).Headers.Contains("Strict-Transport-Security"));

        var cookie = await SignInCookieHeaderAsync(client, page, email);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Forwarded_headers_from_an_unknown_address_are_ignored()
    {
        await using var production = portal.WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Production");
            b.UseSetting("ForwardedHeaders:KnownProxies:0", "10.1.2.3");
            b.ConfigureServices(s => s.AddSingleton<IStartupFilter>(new FromAddress("10.9.9.9")));
        });
        using var client = production.CreateClient(new() { AllowAutoRedirect = false });
        var spoofed = new HttpRequestMessage(HttpMethod.Get, "/sign-in");
        spoofed.Headers.Add("X-Forwarded-Proto", "https");
        spoofed.Headers.Add("X-Forwarded-Host", "portal.clinic.example");
        Assert.False((await client.SendAsync(spoofed)).Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Served_over_https_the_portal_redirects_plain_http_to_https()
    {
        await using var https = portal.WithWebHostBuilder(b => b.UseSetting("https_port", "443"));
        using var client = https.CreateClient(new() { AllowAutoRedirect = false });
        var response = await client.GetAsync("/sign-in");
        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Equal("https", response.Headers.Location!.Scheme);
    }

    private static async Task<string> SignInCookieHeaderAsync(HttpClient client, HttpResponseMessage page, string email)
    {
        var html = await page.Content.ReadAsStringAsync();
        var post = new HttpRequestMessage(HttpMethod.Post, "/account/sign-in")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["email"] = email, ["password"] = StaffSession.Password, ["returnUrl"] = "/",
                ["__RequestVerificationToken"] = StaffSession.Token().Match(html).Groups[1].Value,
            }),
        };
        post.Headers.Add("X-Forwarded-Proto", "https");
        post.Headers.Add("X-Forwarded-Host", "portal.clinic.example");
        post.Headers.Add("Cookie", string.Join("; ", page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0])));
        var signedIn = await client.SendAsync(post);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("clinicportal=", StringComparison.Ordinal));
    }

    /// <summary>The in-memory server has no socket: this gives each request the address it came from.</summary>
    private sealed class FromAddress(string ip) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                http.Connection.RemoteIpAddress = IPAddress.Parse(ip);
                return nextMiddleware(http);
            });
            next(app);
        };
    }
}
