using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace ClinicPortal.Infrastructure.Database;

/// <summary>
/// A local PostgreSQL cluster this process owns: initdb on first use, started on a free loopback
/// port, stopped on dispose. As root the binaries run as the `postgres` OS user (PostgreSQL refuses
/// root). It creates the owner role (runs migrations) and the runtime role (RLS applies to it).
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    public const string OwnerRole = "clinic_owner";
    public const string AppRole = "clinic_app";
    public const string DatabaseName = "clinicportal";

    private readonly string _dataDir;
    private readonly string _binDir;
    private bool _stopped;

    private EmbeddedPostgres(string dataDir, string binDir, int port, string ownerPassword, string appPassword)
    {
        _dataDir = dataDir;
        _binDir = binDir;
        Port = port;
        OwnerConnectionString = ConnectionString(OwnerRole, ownerPassword);
        AppConnectionString = ConnectionString(AppRole, appPassword);
    }

    public int Port { get; }
    public string OwnerConnectionString { get; }
    public string AppConnectionString { get; }

    /// <summary>Where `run` records how to reach the cluster (for the smoke and bench commands).</summary>
    public static string InfoFile(string dataDir) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dataDir))!, "embedded-db.json");

    public static async Task<EmbeddedPostgres> StartAsync(string dataDir, CancellationToken ct = default)
    {
        dataDir = Path.GetFullPath(dataDir);
        var binDir = FindBinaries();
        var secretsFile = Path.Combine(Path.GetDirectoryName(dataDir)!, Path.GetFileName(dataDir) + ".secrets.json");
        var fresh = !File.Exists(Path.Combine(dataDir, "PG_VERSION"));
        if (fresh)
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
            Directory.CreateDirectory(dataDir);
            HandToPostgresUser(dataDir);
            await RunAsync(binDir, "initdb", ["-D", dataDir, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], ct);
            var secrets = new Dictionary<string, string> { ["owner"] = NewPassword(), ["app"] = NewPassword() };
            await File.WriteAllTextAsync(secretsFile, JsonSerializer.Serialize(secrets), ct);
            OwnerOnly(secretsFile);
        }
        var passwords = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(secretsFile, ct))!;

        if (!fresh && File.Exists(Path.Combine(dataDir, "postmaster.pid")))
        {
            // A server left running on this directory by a portal that crashed: it is ours to stop.
            await RunAsync(binDir, "pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"], ct, throwOnError: false);
        }
        var port = FreePort();
        // Local connections go through a socket directory inside the data directory (trusted, owned by
        // the postgres user); TCP on loopback needs a password.
        var options = $"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={dataDir} " +
                      "-c max_connections=200 -c shared_buffers=128MB -c shared_preload_libraries=pg_stat_statements " +
                      "-c pg_stat_statements.track=all";
        await RunAsync(binDir, "pg_ctl", ["-D", dataDir, "-l", Path.Combine(dataDir, "server.log"), "-o", options, "-w", "-t", "60", "start"], ct);
        var pg = new EmbeddedPostgres(dataDir, binDir, port, passwords["owner"], passwords["app"]);
        try
        {
            await pg.EnsureRolesAndDatabaseAsync(passwords, ct);
        }
        catch
        {
            await pg.DisposeAsync();
            throw;
        }
        return pg;
    }

    private async Task EnsureRolesAndDatabaseAsync(Dictionary<string, string> passwords, CancellationToken ct)
    {
        var sql = $"""
            do $$ begin
              if not exists (select 1 from pg_roles where rolname = '{OwnerRole}') then
                create role {OwnerRole} login; end if;
              if not exists (select 1 from pg_roles where rolname = '{AppRole}') then
                create role {AppRole} login nosuperuser nobypassrls nocreatedb nocreaterole; end if;
            end $$;
            alter role {OwnerRole} password '{passwords["owner"]}';
            alter role {AppRole} password '{passwords["app"]}';
            """;
        await RunAsync(_binDir, "psql", ["-h", _dataDir, "-p", Port.ToString(), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], ct);
        var exists = await RunAsync(_binDir, "psql", ["-h", _dataDir, "-p", Port.ToString(), "-U", "postgres", "-d", "postgres", "-tAc",
            $"select 1 from pg_database where datname = '{DatabaseName}'"], ct);
        if (exists.Trim() != "1")
            await RunAsync(_binDir, "psql", ["-h", _dataDir, "-p", Port.ToString(), "-U", "postgres", "-d", "postgres", "-q", "-c",
                $"create database {DatabaseName} owner {OwnerRole}"], ct);
    }

    /// <summary>A superuser connection, for tests that play the attacker with more rights than the app.</summary>
    public string SuperuserConnectionString => $"Host={_dataDir};Port={Port};Username=postgres;Database={DatabaseName}";

    public async ValueTask DisposeAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await StopAsync(_dataDir);
    }

    /// <summary>Stops the server running on this data directory, if one is (a cluster whose owner is gone).</summary>
    public static Task StopAsync(string dataDir) =>
        RunAsync(FindBinaries(), "pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"], CancellationToken.None, throwOnError: false);

    /// <summary>
    /// The database runs on this machine, so its cores are known: a pool of four connections a core (at least 8). Measured on
    /// two cores (docs/performance.md): 100 connections let a burst open backends that then fight over the two cores, so a
    /// portal that had just started answered 200 bookings/s with a median of 1-2 s; with 8 it answered in 23-67 ms, and
    /// saturation rose from about 300-390 to 450-500 bookings/s. Requests wait for a connection in the app instead.
    /// </summary>
    public static int PoolSize => Math.Max(8, 4 * Environment.ProcessorCount);

    private string ConnectionString(string user, string password) =>
        $"Host=127.0.0.1;Port={Port};Username={user};Password={password};Database={DatabaseName};Maximum Pool Size={PoolSize}";

    private static string FindBinaries()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => d, StringComparer.Ordinal).ToList()
            : [];
        return candidates.FirstOrDefault() ?? throw new InvalidOperationException(
            "No PostgreSQL server binaries under /usr/lib/postgresql/*/bin. Install them (`apt-get install postgresql`) " +
            "or configure ConnectionStrings:Clinic and ConnectionStrings:ClinicOwner.");
    }

    private static bool IsRoot => Environment.UserName == "root" || geteuid() == 0;

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();

    private static void HandToPostgresUser(string dir)
    {
        if (!IsRoot) return;
        using var chown = Process.Start("chown", ["-R", "postgres:postgres", dir])!;
        chown.WaitForExit();
        if (chown.ExitCode != 0) throw new InvalidOperationException($"chown postgres {dir} failed");
    }

    private static async Task<string> RunAsync(string binDir, string tool, string[] args, CancellationToken ct,
        bool throwOnError = true)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var exe = Path.Combine(binDir, tool);
        if (IsRoot)
        {
            psi.FileName = "runuser";
            foreach (var a in new[] { "-u", "postgres", "--", exe }) psi.ArgumentList.Add(a);
        }
        else psi.FileName = exe;
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C.UTF-8";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0 && throwOnError)
            throw new InvalidOperationException($"{tool} failed ({p.ExitCode}): {await stderr}{await stdout}");
        return await stdout;
    }

    /// <summary>Files holding passwords are readable by their owner only.</summary>
    public static void OwnerOnly(string path)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string NewPassword() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
}
