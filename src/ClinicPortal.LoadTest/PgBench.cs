using System.Diagnostics;
using Npgsql;

namespace ClinicPortal.LoadTest;

/// <summary>
/// Runs pgbench with the statements one webhook booking sends once its clinic's catalogue is in memory (CatalogueCache):
/// the check of the catalogue's version and the book_appointment call, as the app role, in one round trip. Twice: one
/// compound statement over the simple protocol (parsed every time), and one statement a line over the prepared protocol
/// (parsed once, as the app's auto-prepared statements are). Per-transaction logs give the same percentiles as the HTTP run.
/// </summary>
public static class PgBench
{
    /// <summary>Runs both protocol modes and returns the faster, so the comparison never flatters the app.</summary>
    public static async Task<(Stats Stats, string Mode)> RunAsync(string appConnection, string ownerConnection, int clients, TimeSpan duration)
    {
        var (clinic, provider) = await DemoIdsAsync(ownerConnection);
        var set = $"select set_config('app.clinic_id', '{clinic}', true)";
        // The app passes the version its catalogue was read at; the current one costs the same read.
        const string check = "select catalogue_is(catalogue_version())";
        var slot = "timestamptz '2400-01-01' + (:n)::int * interval '30 minutes'";
        var book = "select outcome from book_appointment('pgbench-' || gen_random_uuid(), 'pgbench', 'vapi-pgbench', 'voice', gen_random_uuid(), " +
                   "(select string_agg(substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', 1 + floor(random() * 31)::int, 1), '') from generate_series(1, 8)), " +
                   $"'{provider}', null, {slot}, {slot} + interval '30 minutes', {slot} + interval '30 minutes', 'Load Test', " +
                   "'+4477' || lpad((random() * 1e8)::int::text, 8, '0'), null, '{}', '{\"status\":\"booked\"}', '{\"status\":\"conflict\"}')";
        var compound = $"\\set n random(1, 100000000)\n{set} \\; {check} \\; {book};\n";
        var separate = $"\\set n random(1, 100000000)\nbegin;\n{set};\n{check};\n{book};\ncommit;\n";
        var simple = await RunScriptAsync(appConnection, compound, "simple", clients, duration);
        var prepared = await RunScriptAsync(appConnection, separate, "prepared", clients, duration);
        return simple.PerSecond >= prepared.PerSecond ? (simple, "simple protocol, the app's one round trip") : (prepared, "prepared statements");
    }

    /// <summary>
    /// The fixed reference (reference-booking.pgbench): every write of one voice booking as raw SQL in one transaction under
    /// row-level security, with callers spread over `phones` numbers (1: every booking reuses one patient).
    /// </summary>
    public static async Task<Stats> RunReferenceAsync(string appConnection, string ownerConnection, int clients, TimeSpan duration, long phones)
    {
        var (clinic, provider) = await DemoIdsAsync(ownerConnection);
        await using (var conn = new NpgsqlConnection(ownerConnection))
        {
            await conn.OpenAsync();
            await using var tx = await conn.BeginTransactionAsync();
            await using var cmd = new NpgsqlCommand($"""
                create sequence if not exists reference_slot;
                grant usage on sequence reference_slot to clinic_app;
                select set_config('app.clinic_id', '{clinic}', true);
                insert into patients (clinic_id, name, phone) values ('{clinic}', 'Reference Caller', '+447700000001') on conflict do nothing;
                """, conn, tx);
            await cmd.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }
        var script = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "reference-booking.pgbench"));
        return await RunScriptAsync(appConnection, script, "prepared", clients, duration,
            ["-D", $"clinic={clinic}", "-D", $"provider={provider}", "-D", $"phones={phones}"]);
    }

    private static async Task<Stats> RunScriptAsync(string appConnection, string script, string mode, int clients, TimeSpan duration,
        string[]? variables = null)
    {
        var dir = Directory.CreateTempSubdirectory("clinic-pgbench-").FullName;
        try
        {
            var file = Path.Combine(dir, "booking.sql");
            await File.WriteAllTextAsync(file, script);
            var cs = new NpgsqlConnectionStringBuilder(appConnection);
            var pgbench = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "pgbench")).First(File.Exists);
            var psi = new ProcessStartInfo(pgbench) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
            string[] arguments = ["-n", "-h", cs.Host!, "-p", cs.Port.ToString(), "-U", cs.Username!, "-c", clients.ToString(), "-j", "2",
                "-T", ((int)duration.TotalSeconds).ToString(), "-M", mode, "-f", file, "-l", "--log-prefix", Path.Combine(dir, "tx"),
                .. variables ?? [], cs.Database!];
            foreach (var a in arguments)
                psi.ArgumentList.Add(a);
            psi.Environment["PGPASSWORD"] = cs.Password;
            using var p = Process.Start(psi)!;
            var output = await p.StandardOutput.ReadToEndAsync();
            var errors = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            if (p.ExitCode != 0) throw new InvalidOperationException($"pgbench failed: {errors}{output}");
            // Log lines: client_id transaction_no latency_us script_no epoch_s epoch_us
            var latencies = Directory.GetFiles(dir, "tx*").SelectMany(File.ReadLines)
                .Select(l => double.Parse(l.Split(' ')[2]) / 1000.0).ToList();
            return Stats.Of(latencies, duration);
        }
        finally
        {
            Directory.Delete(dir, recursive: true); // a failed run's logs too
        }
    }

    private static async Task<(Guid Clinic, Guid Provider)> DemoIdsAsync(string ownerConnection)
    {
        await using var conn = new NpgsqlConnection(ownerConnection);
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using var cmd = new NpgsqlCommand("""
            select set_config('app.clinic_id', (select id::text from clinics where slug = 'riverside'), true);
            select clinic_id, id from providers where slug = 'dr-patel';
            """, conn, tx);
        await using var r = await cmd.ExecuteReaderAsync();
        await r.NextResultAsync();
        await r.ReadAsync();
        return (r.GetGuid(0), r.GetGuid(1));
    }
}
