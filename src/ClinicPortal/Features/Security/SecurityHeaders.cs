namespace ClinicPortal.Features.Security;

/// <summary>
/// Headers on every response. The Content-Security-Policy allows no inline script and no framing; styles may be inline
/// because MudBlazor positions popovers and sets theme variables with style attributes. Confirmation links (/c/…) carry a
/// token in their path, so those pages send no Referer at all.
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

    public const string PermissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        http.Response.OnStarting(() =>
        {
            var h = http.Response.Headers;
            h.ContentSecurityPolicy = ContentSecurityPolicy;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = http.Request.Path.StartsWithSegments("/c") ? "no-referrer" : "strict-origin-when-cross-origin";
            h["Permissions-Policy"] = PermissionsPolicy;
            return Task.CompletedTask;
        });
        return next(http);
    });
}
