using ClinicPortal.Features.Latency;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Latency;

public sealed class LatencyHistogramTests
{
    private static int[] Histogram(params (double Ms, int Times)[] samples)
    {
        var counts = new int[LatencyHistogram.Buckets];
        foreach (var (ms, times) in samples) counts[LatencyHistogram.BucketOf(ms)] += times;
        return counts;
    }

    [Fact]
    public void Percentiles_land_within_one_bucket_of_the_true_value()
    {
        var counts = Histogram((2, 90), (100, 9), (900, 1));
        Assert.InRange(LatencyHistogram.Percentile(counts, 0.50)!.Value, 2, 2 * 1.2);
        Assert.InRange(LatencyHistogram.Percentile(counts, 0.95)!.Value, 100, 100 * 1.2);
        Assert.InRange(LatencyHistogram.Percentile(counts, 0.999)!.Value, 900, 900 * 1.2);
    }

    [Fact]
    public void No_samples_give_no_percentile_and_extremes_stay_in_range()
    {
        Assert.Null(LatencyHistogram.Percentile(new int[LatencyHistogram.Buckets], 0.5));
        Assert.Equal(0, LatencyHistogram.BucketOf(0.01));
        Assert.Equal(LatencyHistogram.Buckets - 1, LatencyHistogram.BucketOf(1e9));
    }
}

[Collection(PortalCollection.Name)]
public sealed class WebhookLatencyTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task Webhook_calls_are_timed_per_clinic_and_reported_after_a_flush()
    {
        var clinic = await portal.CreateClinicAsync();
        var other = await portal.CreateClinicAsync();
        for (var i = 0; i < 20; i++) await clinic.CallToolAsync("lookup_procedure", new { query = "botox" });
        await portal.Services.GetRequiredService<WebhookLatency>().FlushAsync();

        // The background flush (every 5 s) may hold some of the counts in a write of its own that commits a moment later.
        async Task<LatencyWindow> MinuteAsync() =>
            (await portal.Services.GetRequiredService<LatencyStore>().LoadAsync(clinic.Id)).Windows.Single(w => w.Label == "1 min");
        var minute = await MinuteAsync();
        for (var i = 0; i < 100 && minute.Count < 20; i++)
        {
            await Task.Delay(100);
            minute = await MinuteAsync();
        }

        Assert.Equal(20, minute.Count);
        Assert.True(minute.P50 > 0 && minute.P50 <= minute.P95 && minute.P95 <= minute.P99);
        Assert.Equal(0, (await portal.Services.GetRequiredService<LatencyStore>().LoadAsync(other.Id)).Windows[2].Count);
        Assert.True(await clinic.CountAsync("events", "kind = 'latency'") >= 1);
    }
}
