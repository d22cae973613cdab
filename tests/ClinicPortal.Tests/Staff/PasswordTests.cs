using System.Buffers.Binary;
using System.Net;
using ClinicPortal.Features.Staff;
using ClinicPortal.Tests.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ClinicPortal.Tests.Staff;

[Collection(PortalCollection.Name)]
public sealed class PasswordTests(ClinicPortalFactory portal)
{
    [Theory]
    [InlineData("short-pass1", "at least 12")]
    [InlineData("nurse.jones.smith@example.com", "email")]
    [InlineData("NURSE.JONES.SMITH", "email")]
    [InlineData("password1234", "attackers")]
    [InlineData("Qwertyuiop12", "attackers")]
    public void Weak_passwords_are_refused_with_a_reason(string password, string reason) =>
        Assert.Contains(reason, PasswordPolicy.Refusal(password, "nurse.jones.smith@example.com"));

    [Fact]
    public void A_long_unusual_password_is_accepted() => Assert.Null(PasswordPolicy.Refusal("copper kettle sings at dawn", "nurse.jones@example.com"));

    /// <summary>Identity's format v3: 0x01, PRF (2 = HMAC-SHA512), iteration count, salt length, all big-endian.</summary>
    private static (uint Prf, uint Iterations) Parameters(string hash)
    {
        var bytes = Convert.FromBase64String(hash);
        Assert.Equal(0x01, bytes[0]);
        return (BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(1)), BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(5)));
    }

    private async Task<string> StoredHashAsync(string email)
    {
        await using var su = portal.Superuser();
        return (await su.ScalarAsync<string>("select password_hash from staff_users where email = @email", new { email }))!;
    }

    [Fact]
    public async Task Hashes_use_owasps_pbkdf2_work_factor_and_an_old_hash_is_upgraded_at_the_next_sign_in()
    {
        var clinic = await portal.CreateClinicAsync();
        var email = await StaffSession.NewAccountAsync(portal, clinic, "staff");
        Assert.Equal((2u, 210_000u), Parameters(await StoredHashAsync(email)));

        var weak = new PasswordHasher<StaffUser>(Options.Create(new PasswordHasherOptions { IterationCount = 10_000 }))
            .HashPassword(new StaffUser(Guid.Empty, email, ""), StaffSession.Password);
        await using (var su = portal.Superuser())
            await su.ExecAsync("update staff_users set password_hash = @weak where email = @email", new { weak, email });
        Assert.Equal(10_000u, Parameters(await StoredHashAsync(email)).Iterations);

        Assert.IsType<SignInOutcome.Success>(await portal.Services.GetRequiredService<StaffAccounts>().SignInAsync(email, StaffSession.Password));
        Assert.Equal((2u, 210_000u), Parameters(await StoredHashAsync(email)));
    }

    [Fact]
    public async Task Changing_ones_password_ends_every_other_session_and_keeps_this_one()
    {
        var (email, here, elsewhere) = await SignedInTwiceAsync();
        using var _ = here;
        using var __ = elsewhere;

        var weak = await ChangeAsync(here, StaffSession.Password, "short");
        Assert.Equal(HttpStatusCode.OK, weak.StatusCode);
        Assert.Contains("at least 12", await weak.Content.ReadAsStringAsync());
        var wrongCurrent = await ChangeAsync(here, "not-my-password", "copper kettle sings at dawn");
        Assert.Contains("current password is not right", await wrongCurrent.Content.ReadAsStringAsync());

        var changed = await ChangeAsync(here, StaffSession.Password, "copper kettle sings at dawn");
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await here.Client.GetAsync("/")).StatusCode);
        Assert.StartsWith("/sign-in", (await elsewhere.Client.GetAsync("/")).Headers.Location!.PathAndQuery);

        using var later = StaffSession.Open(portal);
        Assert.Contains("error=invalid", await later.SignInAsync(email));
        Assert.Equal("/", await later.SignInAsync(email, "copper kettle sings at dawn"));
    }

    [Fact]
    public async Task An_admins_reset_gives_a_one_time_password_that_must_be_changed_before_anything_else()
    {
        var clinic = await portal.CreateClinicAsync();
        var admin = await StaffSession.NewAccountAsync(portal, clinic, "admin");
        var email = await StaffSession.NewAccountAsync(portal, clinic, "staff");
        using var before = StaffSession.Open(portal);
        await before.SignInAsync(email);
        var accounts = portal.Services.GetRequiredService<StaffAccounts>();
        var colleague = (await accounts.ColleaguesAsync(clinic.Id)).Single(c => c.Email == email);

        var oneTime = await accounts.ResetPasswordAsync(clinic.Id, colleague.UserId, "staff:" + admin);

        Assert.NotNull(oneTime);
        Assert.StartsWith("/sign-in", (await before.Client.GetAsync("/")).Headers.Location!.PathAndQuery); // open sessions end
        Assert.Equal(1L, await clinic.CountAsync("audit_log", $"action = 'staff.password_reset' and subject_id = '{colleague.UserId}'"));
        using var session = StaffSession.Open(portal);
        Assert.Equal(ChangePassword.Path, await session.SignInAsync(email, oneTime!));
        Assert.Equal(ChangePassword.Path, (await session.Client.GetAsync("/appointments")).Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await session.Client.GetAsync(ChangePassword.Path)).StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, (await ChangeAsync(session, oneTime!, "a new one of my own choosing")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await session.Client.GetAsync("/appointments")).StatusCode);
    }

    [Fact]
    public async Task An_admin_cannot_reset_the_password_of_someone_from_another_clinic()
    {
        var mine = await portal.CreateClinicAsync();
        var theirs = await portal.CreateClinicAsync();
        var stranger = await StaffSession.NewAccountAsync(portal, theirs, "staff");
        var accounts = portal.Services.GetRequiredService<StaffAccounts>();
        var id = (await accounts.ColleaguesAsync(theirs.Id)).Single(c => c.Email == stranger).UserId;

        Assert.Null(await accounts.ResetPasswordAsync(mine.Id, id, "staff:admin@mine.example"));
        using var session = StaffSession.Open(portal);
        Assert.Equal("/", await session.SignInAsync(stranger)); // untouched
    }

    [Fact]
    public async Task Sign_out_everywhere_ends_every_session_of_the_person()
    {
        var (email, here, elsewhere) = await SignedInTwiceAsync();
        using var _ = here;
        using var __ = elsewhere;

        var response = await here.PostFormAsync("/", "/account/sign-out-everywhere", new());

        Assert.Equal("/sign-in", response.Headers.Location!.OriginalString);
        Assert.StartsWith("/sign-in", (await here.Client.GetAsync("/")).Headers.Location!.PathAndQuery);
        Assert.StartsWith("/sign-in", (await elsewhere.Client.GetAsync("/")).Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task Sign_out_is_a_post_with_an_antiforgery_token()
    {
        var clinic = await portal.CreateClinicAsync();
        using var session = StaffSession.Open(portal);
        await session.SignInAsync(await StaffSession.NewAccountAsync(portal, clinic, "staff"));

        Assert.NotEqual(HttpStatusCode.Redirect, (await session.Client.GetAsync("/account/sign-out")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await session.Client.PostAsync("/account/sign-out", new FormUrlEncodedContent([]))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await session.Client.GetAsync("/")).StatusCode); // still signed in
        Assert.Equal("/sign-in", (await session.PostFormAsync("/", "/account/sign-out", new())).Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, (await session.Client.GetAsync("/")).StatusCode);
    }

    [Fact]
    public void A_session_lives_at_most_twelve_hours_from_sign_in()
    {
        var options = portal.Services.GetRequiredService<IOptionsMonitor<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>>()
            .Get(Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationDefaults.AuthenticationScheme);
        Assert.Equal(TimeSpan.FromHours(12), options.ExpireTimeSpan);
        Assert.False(options.SlidingExpiration);

        var clinic = new Membership(Guid.NewGuid(), "c", "Clinic", "Europe/London", "staff");
        var access = new StaffAccess([clinic], Guid.NewGuid(), false);
        var now = DateTimeOffset.UtcNow;
        var user = new StaffUser(Guid.NewGuid(), "a@example.com", "A");
        Assert.Null(StaffClaims.Create(user, clinic, access, now.AddHours(-11.9)).Ended(access, now));
        Assert.Equal("expired", StaffClaims.Create(user, clinic, access, now.AddHours(-12.1)).Ended(access, now));
        Assert.NotNull(StaffClaims.Create(user, clinic, access with { SecurityStamp = Guid.NewGuid() }, now).Ended(access, now));
    }

    /// <summary>One person signed in in two browsers.</summary>
    private async Task<(string Email, StaffSession Here, StaffSession Elsewhere)> SignedInTwiceAsync()
    {
        var clinic = await portal.CreateClinicAsync();
        var email = await StaffSession.NewAccountAsync(portal, clinic, "staff");
        var (here, elsewhere) = (StaffSession.Open(portal), StaffSession.Open(portal));
        await here.SignInAsync(email);
        await elsewhere.SignInAsync(email);
        return (email, here, elsewhere);
    }

    private static async Task<HttpResponseMessage> ChangeAsync(StaffSession session, string current, string next) =>
        await session.PostFormAsync(ChangePassword.Path, ChangePassword.Path, new()
        {
            ["_handler"] = "change-password", ["Input.Current"] = current, ["Input.Next"] = next, ["Input.Confirm"] = next,
        });
}
