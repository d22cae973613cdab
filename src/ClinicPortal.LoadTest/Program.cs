using ClinicPortal.LoadTest;

// The load tools: `smoke` (one slot, N callers, verdict), `bench` (throughput and percentiles), `verify` (the release verdict).
var options = Options.Parse(args.Skip(1));
return args.FirstOrDefault() switch
{
    "smoke" => await Smoke.RunAsync(options),
    "bench" => await Bench.RunAsync(options),
    "dashboard-bench" => await DashboardBench.RunAsync(options),
    "analytics-bench" => await AnalyticsBench.RunAsync(options),
    "sms-bench" => await SmsBench.RunAsync(options),
    "verify" => await Verify.RunAsync(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: smoke --url URL --secret SECRET [--callers N] [--provider SLUG] [--date YYYY-MM-DD --time HH:mm] [--db CONN]");
    Console.Error.WriteLine("       bench --url URL --secret SECRET --db-info FILE [--requests N] [--concurrency N] [--slots N]");
    Console.Error.WriteLine("       dashboard-bench --url URL [--bookings N] [--dashboards N] [--portal-pid PID]");
    Console.Error.WriteLine("       analytics-bench --url URL --db-info FILE [--appointments N] [--rounds N]");
    Console.Error.WriteLine("       sms-bench --portal-bin PATH --content-root DIR --data-dir DIR [--calls N] [--rate PER_SECOND]");
    Console.Error.WriteLine("       verify (--url URL [--secret S] [--other-secret S] | --portal-bin PATH --content-root DIR --data-dir DIR) [--out DIR] [--history FILE]");
    return 2;
}
