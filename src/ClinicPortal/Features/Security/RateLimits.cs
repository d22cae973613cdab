using System.Net;
using System.Threading.RateLimiting;
using ClinicPortal.Shared;
using Microsoft.AspNetCore.RateLimiting;

namespace ClinicPortal.Features.Security;

/// <summary>
/// ASP.NET Core's rate limiter. A refused request gets 429 with Retry-After and a problem body, before anything is read or
/// written. Per IP: sign-in posts, public pages and confirmation links, Twilio callbacks, webhook requests whose secret
/// matches nothing (policies on the endpoints). Per account: sign-in. Per clinic credential: the Vapi webhook (a token
/// bucket; benchmarks raise it). Every figure is configurable under RateLimits:*.
/// </summary>
public sealed class RateLimits : IDisposable
{
    public const string SignInPolicy = "sign-in";
    public const string PublicPolicy = "public";
    public const string TwilioPolicy = "twilio";

    private readonly PartitionedRateLimiter<string> _accounts;
    private readonly PartitionedRateLimiter<Guid> _credentials;
    private readonly PartitionedRateLimiter<string> _unauthenticated;

    public RateLimits(IConfiguration config)
    {
        var c = config.GetSection("RateLimits");
        _accounts = PartitionedRateLimiter.Create<string, string>(email => PerMinute(email, c.GetValue("SignIn:PerAccountPerMinute", 10)));
        _unauthenticated = PartitionedRateLimiter.Create<string, string>(ip => PerMinute(ip, c.GetValue("WebhookUnauthenticated:PerIpPerMinute", 30)));
        var perSecond = c.GetValue("Webhook:PermitsPerSecond", 50.0);
        var burst = c.GetValue("Webhook:Burst", 100);
        // Below one a second (a test's 0.01), one token per 1/rate seconds.
        var (tokens, period) = perSecond >= 1 ? ((int)perSecond, TimeSpan.FromSeconds(1)) : (1, TimeSpan.FromSeconds(1 / perSecond));
        _credentials = PartitionedRateLimiter.Create<Guid, Guid>(credential => RateLimitPartition.GetTokenBucketLimiter(credential, _ =>
            new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst, TokensPerPeriod = tokens, ReplenishmentPeriod = period, QueueLimit = 0, AutoReplenishment = true,
            }));
    }

    public static IServiceCollection AddRateLimits(IServiceCollection s, IConfiguration config)
    {
        var c = config.GetSection("RateLimits");
        s.AddSingleton<RateLimits>();
        return s.AddRateLimiter(o =>
        {
            o.AddPolicy(SignInPolicy, http => PerMinute(Ip(http), c.GetValue("SignIn:PerIpPerMinute", 20)));
            o.AddPolicy(PublicPolicy, http => PerMinute(Ip(http), c.GetValue("Public:PerIpPerMinute", 60)));
            o.AddPolicy(TwilioPolicy, http => PerMinute(Ip(http), c.GetValue("Twilio:PerIpPerMinute", 600)));
            o.OnRejected = (context, ct) => WriteRefusalAsync(context.HttpContext, context.Lease, ct);
        });
    }

    /// <summary>A lease for one more sign-in attempt at this account (normalised email).</summary>
    public RateLimitLease SignInAttempt(string email) => _accounts.AttemptAcquire(email.Trim().ToLowerInvariant());

    /// <summary>A lease for one webhook request under this clinic credential.</summary>
    public RateLimitLease WebhookRequest(Guid credential) => _credentials.AttemptAcquire(credential);

    /// <summary>A lease for one webhook request whose secret matched no active credential, from this IP.</summary>
    public RateLimitLease UnauthenticatedWebhook(HttpContext http) => _unauthenticated.AttemptAcquire(Ip(http));

    /// <summary>The 429 answer for a refused lease: Retry-After in whole seconds, and a problem body.</summary>
    public static IResult Refusal(RateLimitLease lease) => new RefusalResult(RetryAfterSeconds(lease));

    private sealed class RefusalResult(int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ProblemResponses.Problem(StatusCodes.Status429TooManyRequests, "Too many requests",
                $"Too many requests; try again in {seconds} s. Nothing was done.").ExecuteAsync(http);
        }
    }

    private static async ValueTask WriteRefusalAsync(HttpContext http, RateLimitLease lease, CancellationToken ct) =>
        await Refusal(lease).ExecuteAsync(http);

    private static int RetryAfterSeconds(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;

    private static RateLimitPartition<string> PerMinute(string key, int permits) => RateLimitPartition.GetFixedWindowLimiter(key, _ =>
        new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true });

    /// <summary>The caller's address (after forwarded headers from a known proxy), or one shared partition when there is none.</summary>
    private static string Ip(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? IPAddress.None.ToString();

    public void Dispose()
    {
        _accounts.Dispose();
        _credentials.Dispose();
        _unauthenticated.Dispose();
    }
}
