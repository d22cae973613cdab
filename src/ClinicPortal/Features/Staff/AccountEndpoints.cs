using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;

namespace ClinicPortal.Features.Staff;

/// <summary>Sign-in, sign-out and clinic switching: form posts with antiforgery tokens, answered with redirects.</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/account");
        group.MapPost("/sign-in", SignInAsync).AllowAnonymous().RequireRateLimiting(Security.RateLimits.SignInPolicy);
        group.MapPost("/sign-out", SignOutAsync).RequireAuthorization();
        group.MapPost("/clinic", SwitchClinicAsync).RequireAuthorization();
        return app;
    }

    private static async Task<IResult> SignInAsync(HttpContext http, StaffAccounts accounts, Security.RateLimits limits, [FromForm] string? email,
        [FromForm] string? password, [FromForm] string? returnUrl)
    {
        var back = $"/sign-in?email={Uri.EscapeDataString(email ?? "")}&returnUrl={Uri.EscapeDataString(returnUrl ?? "/")}";
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrEmpty(password)) return TypedResults.LocalRedirect(back + "&error=missing");
        using var attempt = limits.SignInAttempt(email); // per account, whichever addresses the attempts come from
        if (!attempt.IsAcquired) return Security.RateLimits.Refusal(attempt);
        switch (await accounts.SignInAsync(email, password, http.RequestAborted))
        {
            case SignInOutcome.Success s:
                await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, StaffClaims.Create(s.User, s.Clinics[0]));
                return TypedResults.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
            case SignInOutcome.Locked l:
                return TypedResults.LocalRedirect(back + "&error=locked&until=" + Uri.EscapeDataString(l.Until.ToString("O")));
            default:
                return TypedResults.LocalRedirect(back + "&error=invalid");
        }
    }

    private static async Task<IResult> SignOutAsync(HttpContext http, ILogger<StaffAccounts> logger)
    {
        logger.LogInformation("{Actor} signed out", http.User.Actor());
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.LocalRedirect("/sign-in");
    }

    private static async Task<IResult> SwitchClinicAsync(HttpContext http, StaffAccounts accounts, [FromForm] string? slug)
    {
        var user = http.User;
        var clinics = await accounts.MembershipsAsync(user.UserId(), http.RequestAborted);
        var chosen = clinics.FirstOrDefault(c => c.Slug == slug);
        if (chosen is null) return TypedResults.LocalRedirect("/not-allowed");
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, StaffClaims.Create(user.Person(), chosen));
        return TypedResults.LocalRedirect("/");
    }

    private static bool IsLocal(string? url) => !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal)
                                               && !url.StartsWith("/\\", StringComparison.Ordinal);
}
