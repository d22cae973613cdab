namespace ClinicPortal.LoadTest;

/// <summary>Latency percentiles (nearest rank) and throughput of one run.</summary>
public sealed record Stats(int Count, double P50, double P95, double P99, double Max, double PerSecond)
{
    public static Stats Of(IReadOnlyCollection<double> latenciesMs, TimeSpan elapsed)
    {
        var sorted = latenciesMs.OrderBy(x => x).ToArray();
        double At(double p) => sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Stats(sorted.Length, At(0.50), At(0.95), At(0.99), sorted.LastOrDefault(), sorted.Length / elapsed.TotalSeconds);
    }

    public override string ToString() =>
        $"{Count} requests, {PerSecond:F0}/s, p50 {P50:F1} ms, p95 {P95:F1} ms, p99 {P99:F1} ms, max {Max:F1} ms";
}
