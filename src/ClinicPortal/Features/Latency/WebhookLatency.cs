using System.Collections.Concurrent;
using System.Diagnostics;
using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Latency;

/// <summary>
/// Counts webhook response times per clinic in memory and writes them every few seconds (one row per
/// clinic and bucket), so recording costs the webhook an Interlocked.Increment, not a database write.
/// Each flush also commits a "latency" event, so dashboards refresh their figures by push.
/// </summary>
public sealed class WebhookLatency(ClinicDb db, ILogger<WebhookLatency> logger) : BackgroundService
{
    public const string ClinicItem = "webhook.clinic";
    public static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(5);
    private static readonly string Instance = $"{Environment.MachineName}:{Environment.ProcessId}";

    private ConcurrentDictionary<Guid, int[]> _current = new();

    public void Record(Guid clinic, double milliseconds) =>
        Interlocked.Increment(ref _current.GetOrAdd(clinic, _ => new int[LatencyHistogram.Buckets])[LatencyHistogram.BucketOf(milliseconds)]);

    /// <summary>Times every webhook request from arrival to the last byte, for the clinic its credential named.</summary>
    public static IApplicationBuilder UseWebhookTiming(IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (!http.Request.Path.StartsWithSegments("/api/vapi/webhook"))
        {
            await next(http);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        await next(http);
        if (http.Items[ClinicItem] is Guid clinic)
            http.RequestServices.GetRequiredService<WebhookLatency>().Record(clinic, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushEvery);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try { await FlushAsync(stoppingToken); }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                logger.LogWarning(e, "Could not write webhook latency; those seconds are missing from the dashboard");
            }
        }
    }

    public async Task FlushAsync(CancellationToken ct = default)
    {
        var taken = Interlocked.Exchange(ref _current, new ConcurrentDictionary<Guid, int[]>());
        if (taken.IsEmpty) return;
        var bucket = DateTime.UnixEpoch.AddSeconds(Math.Floor((DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds / FlushEvery.TotalSeconds) * FlushEvery.TotalSeconds);
        await db.RunAsync(async conn =>
        {
            foreach (var (clinic, counts) in taken)
                await conn.ForClinic(clinic, """
                    insert into webhook_latency (clinic_id, bucket_start, instance, counts) values (@clinic, @bucket, @instance, @counts)
                    on conflict (clinic_id, bucket_start, instance) do update
                       set counts = (select array_agg(a + b order by i) from unnest(webhook_latency.counts, excluded.counts) with ordinality as x(a, b, i));
                    delete from webhook_latency where clinic_id = @clinic and bucket_start < now() - interval '1 day';
                    select emit_event('latency', '{}');
                    """).With("bucket", bucket).With("instance", Instance).With("counts", counts).RunAsync(ct);
            return taken.Count;
        }, ct);
    }
}
