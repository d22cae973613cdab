using ClinicPortal.Infrastructure.Database;
using Microsoft.EntityFrameworkCore;

namespace ClinicPortal.Features.Latency;

public sealed record LatencyWindow(string Label, long Count, double? P50, double? P95, double? P99);

public sealed record LatencyPoint(DateTime Minute, double P50, double P95, double P99);

public sealed record LatencyStats(IReadOnlyList<LatencyWindow> Windows, IReadOnlyList<LatencyPoint> PerMinute);

/// <summary>Webhook latency of one clinic over the last 1, 5 and 15 minutes, merged across app instances.</summary>
public sealed class LatencyStore(ClinicDb db)
{
    private sealed record Row(DateTime BucketStart, int[] Counts);

    public async Task<LatencyStats> LoadAsync(Guid clinic, CancellationToken ct = default)
    {
        var rows = await db.ReadDataAsync(clinic, data => data.Database
            .SqlQuery<Row>($"select bucket_start, counts from webhook_latency where bucket_start >= now() - interval '15 minutes'").ToListAsync(ct), ct);
        var now = DateTime.UtcNow;
        var windows = new[] { (1, "1 min"), (5, "5 min"), (15, "15 min") }.Select(w =>
        {
            var merged = LatencyHistogram.Merge(rows.Where(r => r.BucketStart >= now.AddMinutes(-w.Item1)).Select(r => r.Counts));
            return new LatencyWindow(w.Item2, merged.Sum(c => (long)c), LatencyHistogram.Percentile(merged, 0.50),
                LatencyHistogram.Percentile(merged, 0.95), LatencyHistogram.Percentile(merged, 0.99));
        }).ToList();
        var perMinute = rows.GroupBy(r => new DateTime(r.BucketStart.Ticks - r.BucketStart.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc))
            .OrderBy(g => g.Key).Select(g => Point(g.Key, LatencyHistogram.Merge(g.Select(r => r.Counts)))).OfType<LatencyPoint>().ToList();
        return new LatencyStats(windows, perMinute);
    }

    private static LatencyPoint? Point(DateTime minute, int[] counts) =>
        LatencyHistogram.Percentile(counts, 0.5) is { } p50
            ? new LatencyPoint(minute, p50, LatencyHistogram.Percentile(counts, 0.95)!.Value, LatencyHistogram.Percentile(counts, 0.99)!.Value)
            : null;
}
