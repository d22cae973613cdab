namespace ClinicPortal.Features.Latency;

/// <summary>
/// Log-scale buckets for response times: bucket i holds times up to 0.1 ms × 1.2^i (about 0.1 ms to
/// 10 s in 64 buckets), so a percentile read from merged counts is within one bucket (±10 %).
/// </summary>
public static class LatencyHistogram
{
    public const int Buckets = 64;
    private const double Base = 0.1, Growth = 1.2;

    public static int BucketOf(double milliseconds) =>
        milliseconds <= Base ? 0 : Math.Min(Buckets - 1, (int)Math.Ceiling(Math.Log(milliseconds / Base, Growth)));

    public static double UpperBound(int bucket) => Base * Math.Pow(Growth, bucket);

    /// <summary>The p-th percentile (0..1) as the upper bound of the bucket holding that rank; null with no samples.</summary>
    public static double? Percentile(IReadOnlyList<int> counts, double p)
    {
        long total = counts.Sum(c => (long)c);
        if (total == 0) return null;
        var rank = (long)Math.Ceiling(p * total);
        long seen = 0;
        for (var i = 0; i < counts.Count; i++)
            if ((seen += counts[i]) >= rank) return UpperBound(i);
        return UpperBound(counts.Count - 1);
    }

    public static int[] Merge(IEnumerable<int[]> histograms)
    {
        var merged = new int[Buckets];
        foreach (var h in histograms)
            for (var i = 0; i < Math.Min(h.Length, Buckets); i++) merged[i] += h[i];
        return merged;
    }
}
