using System.Net;
using System.Text.RegularExpressions;
using ClinicPortal.Features.Staff;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ClinicPortal.Tests.Support;

/// <summary>A browser-like HTTP session (cookies, no automatic redirects) against the in-memory portal.</summary>
public sealed partial class StaffSession(HttpClient client) : IDisposable
{
    public const string Password = "session-Password-1";

    public HttpClient Client => client;

    public static StaffSession Open(ClinicPortalFactory portal) =>
        new(portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));

    /// <summary>Creates an account with a role at the test clinic (the same person may be given several clinics).</summary>
    public static async Task<string> NewAccountAsync(ClinicPortalFactory portal, TestClinic clinic, string role, string? email = null)
    {
        email ??= $"{role}-{Guid.NewGuid():N}@example.com";
        await StaffAccounts.EnsureAsync(portal.Database.OwnerConnectionString, clinic.Slug, email, "Test " + role, Password, role);
        return email;
    }

    /// <summary>Posts the sign-in form the way a browser does (antiforgery token from the page); returns where it redirected.</summary>
    public async Task<string> SignInAsync(string email, string password = Password)
    {
        var form = new Dictionary<string, string> { ["email"] = email, ["password"] = password, ["returnUrl"] = "/" };
        var response = await PostFormAsync("/sign-in", "/account/sign-in", form);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!.OriginalString;
    }

    /// <summary>Loads a page, takes its antiforgery token, posts the form to an action.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string page, string action, Dictionary<string, string> fields)
    {
        var html = await client.GetStringAsync(page);
        fields["__RequestVerificationToken"] = Token().Match(html).Groups[1].Value;
        return await client.PostAsync(action, new FormUrlEncodedContent(fields));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    internal static partial Regex Token();

    public void Dispose() => client.Dispose();
}

/// <summary>Signs in with cookies handled by hand, for clients that need the cookie as a header (WebSockets).</summary>
public static class SignInCookie
{
    public static async Task<string> GetAsync(ClinicPortalFactory portal, string email, string password = StaffSession.Password)
    {
        using var client = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        var page = await client.GetAsync("/sign-in");
        var antiforgery = Cookies(page);
        var token = StaffSession.Token().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value;
        var post = new HttpRequestMessage(HttpMethod.Post, "/account/sign-in")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["email"] = email, ["password"] = password, ["returnUrl"] = "/", ["__RequestVerificationToken"] = token,
            }),
        };
        post.Headers.Add("Cookie", antiforgery);
        var signedIn = await client.SendAsync(post);
        return Cookies(signedIn);
    }

    private static string Cookies(HttpResponseMessage r) =>
        string.Join("; ", r.Headers.TryGetValues("Set-Cookie", out var v) ? v.Select(c => c.Split(';')[0]) : []);
}
