using System.Net;
using ClinicPortal.Features.Staff;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Staff;

[Collection(PortalCollection.Name)]
public sealed class SignInTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task An_unauthenticated_request_for_a_portal_page_redirects_to_sign_in()
    {
        using var session = StaffSession.Open(portal);
        var response = await session.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/sign-in", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task The_right_password_opens_the_dashboard_of_the_persons_clinic()
    {
        var clinic = await portal.CreateClinicAsync();
        var email = await StaffSession.NewAccountAsync(portal, clinic, "staff");
        using var session = StaffSession.Open(portal);

        Assert.Equal("/", await session.SignInAsync(email));
        var page = await session.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Test clinic " + clinic.Slug, await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_wrong_password_or_unknown_email_is_refused_with_the_same_message()
    {
        var clinic = await portal.CreateClinicAsync();
        var email = await StaffSession.NewAccountAsync(portal, clinic, "staff");
        using var session = StaffSession.Open(portal);

        Assert.Contains("error=invalid", await session.SignInAsync(email, "wrong-password"));
        Assert.Contains("error=invalid", await session.SignInAsync("nobody-" + Guid.NewGuid() + "@example.com"));
        Assert.StartsWith("/sign-in", (await session.Client.GetAsync("/")).Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task Five_failures_in_a_row_lock_the_account_even_against_the_right_password_with_the_same_answer()
    {
        var clinic = await portal.CreateClinicAsync();
        var email = await StaffSession.NewAccountAsync(portal, clinic, "staff");
        using var session = StaffSession.Open(portal);

        for (var i = 1; i <= StaffAccounts.LockAfterFailures; i++) Assert.Contains("error=invalid", await session.SignInAsync(email, "wrong"));
        Assert.Contains("error=invalid", await session.SignInAsync(email)); // locked: the right password gets the same answer
        Assert.True(await portal.CountAsync("select count(*) from staff_users where email = @email and locked_until > now() + interval '14 minutes'",
            new { email }) == 1);
        Assert.StartsWith("/sign-in", (await session.Client.GetAsync("/")).Headers.Location!.PathAndQuery);
    }

    /// <summary>Attempts are counted before the password is checked, in one statement: twenty guesses at once cannot all be tried.</summary>
    [Fact]
    public async Task Concurrent_guesses_are_counted_atomically_and_only_the_first_five_are_checked()
    {
        var clinic = await portal.CreateClinicAsync();
        var email = await StaffSession.NewAccountAsync(portal, clinic, "staff");
        var accounts = portal.Services.GetRequiredService<StaffAccounts>();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => accounts.SignInAsync(email, "guess-number-" + i)));

        Assert.All(outcomes, o => Assert.IsType<SignInOutcome.Refused>(o));
        Assert.Equal(StaffAccounts.LockAfterFailures, await portal.CountAsync("select failed_attempts::bigint from staff_users where email = @email", new { email }));
        Assert.IsType<SignInOutcome.Refused>(await accounts.SignInAsync(email, StaffSession.Password));
    }

    [Fact]
    public async Task A_lock_that_has_expired_starts_the_count_again()
    {
        var clinic = await portal.CreateClinicAsync();
        var email = await StaffSession.NewAccountAsync(portal, clinic, "staff");
        await using (var su = portal.Superuser())
            await su.ExecAsync("update staff_users set failed_attempts = 5, locked_until = now() - interval '1 minute' where email = @email", new { email });
        var accounts = portal.Services.GetRequiredService<StaffAccounts>();

        Assert.IsType<SignInOutcome.Refused>(await accounts.SignInAsync(email, "wrong-again"));
        Assert.Equal(1L, await portal.CountAsync("select failed_attempts::bigint from staff_users where email = @email and locked_until is null", new { email }));
        Assert.IsType<SignInOutcome.Success>(await accounts.SignInAsync(email, StaffSession.Password));
        Assert.Equal(0L, await portal.CountAsync("select failed_attempts::bigint from staff_users where email = @email", new { email }));
    }

    [Fact]
    public async Task A_form_post_without_the_antiforgery_token_is_rejected_and_signs_nobody_in()
    {
        var clinic = await portal.CreateClinicAsync();
        var email = await StaffSession.NewAccountAsync(portal, clinic, "staff");
        using var session = StaffSession.Open(portal);

        var response = await session.Client.PostAsync("/account/sign-in", new FormUrlEncodedContent(
            new Dictionary<string, string> { ["email"] = email, ["password"] = StaffSession.Password }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await session.Client.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task Switching_to_a_clinic_the_person_does_not_belong_to_is_not_allowed()
    {
        var mine = await portal.CreateClinicAsync();
        var theirs = await portal.CreateClinicAsync();
        var email = await StaffSession.NewAccountAsync(portal, mine, "admin");
        using var session = StaffSession.Open(portal);
        await session.SignInAsync(email);

        var response = await session.PostFormAsync("/", "/account/clinic", new() { ["slug"] = theirs.Slug });

        Assert.Equal("/not-allowed", response.Headers.Location!.OriginalString);
        Assert.Contains("Test clinic " + mine.Slug, await session.Client.GetStringAsync("/"));
    }

    [Fact]
    public async Task A_person_in_two_clinics_switches_between_them()
    {
        var first = await portal.CreateClinicAsync();
        var second = await portal.CreateClinicAsync();
        var email = await StaffSession.NewAccountAsync(portal, first, "staff");
        await StaffSession.NewAccountAsync(portal, second, "admin", email);
        using var session = StaffSession.Open(portal);
        await session.SignInAsync(email);

        var response = await session.PostFormAsync("/", "/account/clinic", new() { ["slug"] = second.Slug });

        Assert.Equal("/", response.Headers.Location!.OriginalString);
        var page = await session.Client.GetStringAsync("/");
        Assert.Contains("Test clinic " + second.Slug, page);
        Assert.Contains("(admin)", page);
    }

    [Fact]
    public async Task Removing_a_membership_ends_the_session_at_the_next_request()
    {
        var clinic = await portal.CreateClinicAsync();
        var email = await StaffSession.NewAccountAsync(portal, clinic, "staff");
        using var session = StaffSession.Open(portal);
        await session.SignInAsync(email);
        Assert.Equal(HttpStatusCode.OK, (await session.Client.GetAsync("/")).StatusCode);

        await using (var conn = portal.Superuser())
            await conn.ExecAsync("delete from clinic_staff where clinic_id = @Id", new { clinic.Id });

        Assert.Equal(HttpStatusCode.Redirect, (await session.Client.GetAsync("/")).StatusCode);
    }
}
