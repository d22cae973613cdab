using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;

namespace ClinicPortal.Features.Staff;

/// <summary>Sign-in, sign-out (here or everywhere) and clinic switching: form posts with antiforgery tokens, answered with redirects.</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // Every one of these changes who is signed in: each checks the form's antiforgery token, whether it binds a form field or not.
        var group = app.MapGroup("/account").AddEndpointFilter(async (context, next) =>
        {
            await context.HttpContext.RequestServices.GetRequiredService<Microsoft.AspNetCore.Antiforgery.IAntiforgery>()
                .ValidateRequestAsync(context.HttpContext);
            return await next(context);
        });
        group.MapPost("/sign-in", SignInAsync).AllowAnonymous().RequireRateLimiting(Security.RateLimits.SignInPolicy);
        group.MapPost("/sign-out", SignOutAsync).RequireAuthorization(StaffClaims.SignedInPolicy);
        group.MapPost("/sign-out-everywhere", SignOutEverywhereAsync).RequireAuthorization(StaffClaims.SignedInPolicy);
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
                await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
                    StaffClaims.Create(s.User, s.Access.Clinics[0], s.Access, DateTimeOffset.UtcNow));
                // A one-time password from an admin is changed before anything else.
                if (s.Access.MustChangePassword) return TypedResults.LocalRedirect(ChangePassword.Path);
                return TypedResults.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
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

    /// <summary>Ends every session of this person, in every browser (a new security stamp), then this one.</summary>
    private static async Task<IResult> SignOutEverywhereAsync(HttpContext http, StaffAccounts accounts, ILogger<StaffAccounts> logger)
    {
        await accounts.SignOutEverywhereAsync(http.User.UserId(), http.RequestAborted);
        logger.LogInformation("{Actor} signed out everywhere", http.User.Actor());
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.LocalRedirect("/sign-in");
    }

    private static async Task<IResult> SwitchClinicAsync(HttpContext http, StaffAccounts accounts, [FromForm] string? slug)
    {
        var user = http.User;
        var access = await accounts.AccessAsync(user.UserId(), http.RequestAborted);
        var chosen = access?.Clinics.FirstOrDefault(c => c.Slug == slug);
        if (chosen is null) return TypedResults.LocalRedirect("/not-allowed");
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, StaffClaims.Create(user.Person(), chosen, access!, user.Issued()));
        return TypedResults.LocalRedirect("/");
    }

    private static bool IsLocal(string? url) => !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal)
                                               && !url.StartsWith("/\\", StringComparison.Ordinal);
}
