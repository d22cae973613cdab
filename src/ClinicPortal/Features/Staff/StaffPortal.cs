using ClinicPortal.Components;
using ClinicPortal.Features.Appointments;
using ClinicPortal.Features.Audit;
using ClinicPortal.Features.Dashboard;
using ClinicPortal.Features.Events;
using ClinicPortal.Features.Settings;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using MudBlazor.Services;

namespace ClinicPortal.Features.Staff;

/// <summary>The staff portal: Blazor Server pages, cookie sign-in, per-clinic roles, the live event feed.</summary>
public static class StaffPortal
{
    public static WebApplicationBuilder AddStaffPortal(this WebApplicationBuilder builder)
    {
        var s = builder.Services;
        // MudBlazor's assets (and blazor.web.js) come from the build output's static web assets manifest, in every environment.
        builder.WebHost.UseStaticWebAssets();
        s.AddRazorComponents().AddInteractiveServerComponents();
        s.AddMudServices(o =>
        {
            o.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomRight;
            o.SnackbarConfiguration.VisibleStateDuration = 6000;
        });
        s.AddCascadingAuthenticationState();
        s.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.LoginPath = "/sign-in";
            o.AccessDeniedPath = "/not-allowed";
            o.Cookie.Name = "clinicportal";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            // Secure outside Development whatever the request's scheme (behind a TLS proxy the app may see http).
            o.Cookie.SecurePolicy = builder.Environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
            o.ExpireTimeSpan = StaffClaims.SessionLifetime; // and StaffClaims.Ended holds the 12 hours from sign-in, renewals or not
            o.SlidingExpiration = false;
            o.Events.OnValidatePrincipal = EnsureStillMemberAsync;
            // Machine clients of the hub, and the JSON/file APIs under /api, get status codes, not the sign-in page.
            o.Events.OnRedirectToLogin = c => Answer(c, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = c => Answer(c, StatusCodes.Status403Forbidden);
        });
        // Deny by default: every endpoint needs a signed-in person unless it opts out (sign-in, /i/…, /c/…, health, and the
        // webhooks, which authenticate their callers themselves).
        // A person who owes a new password (an admin's one-time password) gets nothing but the password page and sign-out.
        var staff = new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser()
            .RequireAssertion(c => !c.User.OwesNewPassword()).Build();
        s.AddAuthorizationBuilder()
            .SetFallbackPolicy(staff)
            .SetDefaultPolicy(staff)
            .AddPolicy(StaffClaims.SignedInPolicy, p => p.RequireAuthenticatedUser())
            .AddPolicy(StaffClaims.AdminPolicy, p => p.RequireRole("admin").RequireAssertion(c => !c.User.OwesNewPassword()));
        s.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, StaffRevalidation>();
        s.AddSingleton<StaffConnections>();
        s.AddHostedService(sp => sp.GetRequiredService<StaffConnections>());
        s.AddAntiforgery();
        s.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, NothingThereIsNotFound>();
        s.AddSingleton<StaffAccounts>();
        return builder;
    }

    public static WebApplication MapStaffPortal(this WebApplication app)
    {
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapAccountEndpoints();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    private static Task Answer(RedirectContext<CookieAuthenticationOptions> c, int status)
    {
        if (c.Request.Path.StartsWithSegments("/hubs") || c.Request.Path.StartsWithSegments("/api")) c.Response.StatusCode = status;
        else if (status == StatusCodes.Status403Forbidden && c.HttpContext.User.OwesNewPassword()) c.Response.Redirect(ChangePassword.Path);
        else c.Response.Redirect(c.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Every request checks the session (StaffClaims.Ended): over at 12 hours, at a new security stamp, at a removed
    /// membership or a changed role; the person's hub connections close with it. A renamed clinic, a changed time zone or
    /// a password no longer owed is picked up by re-issuing the cookie.
    /// </summary>
    private static async Task EnsureStillMemberAsync(CookieValidatePrincipalContext context)
    {
        var user = context.Principal;
        if (user?.Identity?.IsAuthenticated != true) return;
        var services = context.HttpContext.RequestServices;
        var access = await services.GetRequiredService<StaffAccounts>().AccessAsync(user.UserId(), context.HttpContext.RequestAborted);
        if (user.Ended(access, DateTimeOffset.UtcNow) is { } why)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            services.GetRequiredService<StaffConnections>().Close(user.UserId(), why);
            return;
        }
        var current = access!.Clinics.First(c => c.ClinicId == user.Clinic());
        if (current.TimeZone != user.ClinicTimeZone() || current.Name != user.FindFirst(StaffClaims.ClinicName)?.Value
            || access.MustChangePassword != user.OwesNewPassword())
        {
            context.ReplacePrincipal(StaffClaims.Create(user.Person(), current, access, user.Issued()));
            context.ShouldRenew = true;
        }
    }

    /// <summary>
    /// The fallback policy covers requests that matched no endpoint too; those are answered 404 (a page or a problem body),
    /// not sent to sign-in, since there is nothing there to protect.
    /// </summary>
    private sealed class NothingThereIsNotFound : Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler
    {
        private readonly Microsoft.AspNetCore.Authorization.Policy.AuthorizationMiddlewareResultHandler _default = new();

        public Task HandleAsync(RequestDelegate next, HttpContext context, Microsoft.AspNetCore.Authorization.AuthorizationPolicy policy,
            Microsoft.AspNetCore.Authorization.Policy.PolicyAuthorizationResult result) =>
            context.GetEndpoint() is null && result.Challenged ? next(context) : _default.HandleAsync(next, context, policy, result);
    }
}
