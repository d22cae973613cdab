using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace ClinicPortal.Features.Security;

/// <summary>
/// Transport and request limits, in front of everything else: forwarded headers only from ForwardedHeaders:KnownProxies,
/// HSTS and the HTTPS redirect when the portal is served over HTTPS, security headers on every response, and rate limits.
/// </summary>
public static class SecurityFeature
{
    public static WebApplicationBuilder AddSecurity(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // Only the proxies a deployer names; not even loopback by default.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in config.GetSection("ForwardedHeaders:KnownProxies").Get<string[]>() ?? [])
                o.KnownProxies.Add(IPAddress.Parse(proxy));
        });
        builder.Services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.IncludeSubDomains = true;
        });
        RateLimits.AddRateLimits(builder.Services, config);
        return builder;
    }

    public static WebApplication UseSecurity(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseSecurityHeaders();
        if (!app.Environment.IsDevelopment()) app.UseHsts(); // only ever sent on HTTPS requests
        if (ServedOverHttps(app.Configuration)) app.UseHttpsRedirection();
        return app;
    }

    /// <summary>An HTTPS endpoint of our own (urls or https_port); behind a TLS proxy the proxy redirects.</summary>
    private static bool ServedOverHttps(IConfiguration config) =>
        (config["urls"] ?? config["ASPNETCORE_URLS"] ?? "").Contains("https://", StringComparison.OrdinalIgnoreCase)
        || !string.IsNullOrEmpty(config["https_port"]) || !string.IsNullOrEmpty(config["HTTPS_PORTS"]);
}
