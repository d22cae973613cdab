using System.Collections.Concurrent;
using System.Diagnostics;
using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Latency;

/// <summary>
/// Counts webhook response times per clinic in memory and writes them every few seconds (one row per
/// clinic and bucket), so recording costs the webhook an Interlocked.Increment, not a database write.
/// Each flush also commits a "latency" event, so dashboards refresh their figures by push. Tool calls and the ones that
/// failed (answered with an error) are counted with them, for the failure-rate alert. An hourly copy is kept 400 days for
/// analytics.
/// </summary>
public sealed class WebhookLatency(ClinicDb db, ILogger<WebhookLatency> logger) : BackgroundService
{
    public const string ClinicItem = "webhook.clinic";
    public static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(5);
    private static readonly string Instance = $"{Environment.MachineName}:{Environment.ProcessId}";

    private sealed class Counts
    {
        public readonly int[] Histogram = new int[LatencyHistogram.Buckets];
        public int ToolCalls, ToolFailures;
    }

    private ConcurrentDictionary<Guid, Counts> _current = new();

    public void Record(Guid clinic, double milliseconds) =>
        Interlocked.Increment(ref _current.GetOrAdd(clinic, _ => new Counts()).Histogram[LatencyHistogram.BucketOf(milliseconds)]);

    /// <summary>One tool call answered, and whether it failed (an error instead of a result).</summary>
    public void RecordToolCall(Guid clinic, bool failed)
    {
        var counts = _current.GetOrAdd(clinic, _ => new Counts());
        Interlocked.Increment(ref counts.ToolCalls);
        if (failed) Interlocked.Increment(ref counts.ToolFailures);
    }

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
        var taken = Interlocked.Exchange(ref _current, new ConcurrentDictionary<Guid, Counts>());
        if (taken.IsEmpty) return;
        var bucket = DateTime.UnixEpoch.AddSeconds(Math.Floor((DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds / FlushEvery.TotalSeconds) * FlushEvery.TotalSeconds);
        await db.RunAsync(async conn =>
        {
            foreach (var (clinic, counts) in taken)
                await conn.ForClinic(clinic, """
                    insert into webhook_latency (clinic_id, bucket_start, instance, counts, tool_calls, tool_failures)
                    values (@clinic, @bucket, @instance, @counts, @toolCalls, @toolFailures)
                    on conflict (clinic_id, bucket_start, instance) do update
                       set counts = add_counts(webhook_latency.counts, excluded.counts),
                           tool_calls = webhook_latency.tool_calls + excluded.tool_calls,
                           tool_failures = webhook_latency.tool_failures + excluded.tool_failures;
                    insert into webhook_latency_hourly (clinic_id, hour, counts, tool_calls, tool_failures)
                    values (@clinic, @hour, @counts, @toolCalls, @toolFailures)
                    on conflict (clinic_id, hour) do update
                       set counts = add_counts(webhook_latency_hourly.counts, excluded.counts),
                           tool_calls = webhook_latency_hourly.tool_calls + excluded.tool_calls,
                           tool_failures = webhook_latency_hourly.tool_failures + excluded.tool_failures;
                    delete from webhook_latency where clinic_id = @clinic and bucket_start < now() - interval '1 day';
                    delete from webhook_latency_hourly where clinic_id = @clinic and hour < now() - interval '400 days';
                    select emit_event('latency', '{}');
                    """).With("bucket", bucket).With("hour", bucket.AddTicks(-(bucket.Ticks % TimeSpan.TicksPerHour))).With("instance", Instance).With("counts", counts.Histogram)
                    .With("toolCalls", counts.ToolCalls).With("toolFailures", counts.ToolFailures).RunAsync(ct);
            return taken.Count;
        }, ct);
    }
}
