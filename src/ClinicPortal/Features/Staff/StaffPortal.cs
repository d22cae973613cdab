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
            o.ExpireTimeSpan = TimeSpan.FromHours(10);
            o.SlidingExpiration = true;
            o.Events.OnValidatePrincipal = EnsureStillMemberAsync;
            // Machine clients of the hub get status codes, not the sign-in page.
            o.Events.OnRedirectToLogin = c => Answer(c, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = c => Answer(c, StatusCodes.Status403Forbidden);
        });
        // Deny by default: every endpoint needs a signed-in person unless it opts out (sign-in, /i/…, /c/…, health, and the
        // webhooks, which authenticate their callers themselves).
        s.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(StaffClaims.AdminPolicy, p => p.RequireRole("admin"));
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
        if (c.Request.Path.StartsWithSegments("/hubs")) c.Response.StatusCode = status;
        else c.Response.Redirect(c.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A removed membership or changed role ends the session at the next request, not when the cookie
    /// expires; a renamed clinic or changed time zone is picked up by renewing the cookie.
    /// </summary>
    private static async Task EnsureStillMemberAsync(CookieValidatePrincipalContext context)
    {
        var user = context.Principal;
        if (user?.Identity?.IsAuthenticated != true) return;
        var accounts = context.HttpContext.RequestServices.GetRequiredService<StaffAccounts>();
        var clinics = await accounts.MembershipsAsync(user.UserId(), context.HttpContext.RequestAborted);
        var current = clinics.FirstOrDefault(c => c.ClinicId == user.Clinic());
        if (current is null || !user.IsInRole(current.Role))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
        else if (current.TimeZone != user.ClinicTimeZone() || current.Name != user.FindFirst(StaffClaims.ClinicName)?.Value)
        {
            context.ReplacePrincipal(StaffClaims.Create(user.Person(), current));
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
