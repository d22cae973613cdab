using ClinicPortal.Infrastructure.Database;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClinicPortal.Tests.Support;

/// <summary>One throwaway PostgreSQL cluster for the test run, started by the app's own launcher and migrated once.</summary>
public static class TestDatabase
{
    private static readonly Lazy<Task<EmbeddedPostgres>> Cluster = new(StartAsync);

    public static Task<EmbeddedPostgres> GetAsync() => Cluster.Value;

    /// <summary>This run's key-encryption key for the Data Protection keys in the database, shared by every portal the tests start.</summary>
    public static readonly string DataProtectionKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>This run's key for encrypted notes, shared by every app instance the tests start.</summary>
    public static readonly string NotesKey = ClinicPortal.Features.Privacy.NoteProtector.NewKey();

    private static readonly Lazy<Task<ClinicPortal.TestSupport.FakeTwilio>> Twilio = new(ClinicPortal.TestSupport.FakeTwilio.StartAsync);

    /// <summary>This run's loopback Twilio: every portal the tests start sends through it.</summary>
    public static Task<ClinicPortal.TestSupport.FakeTwilio> TwilioAsync() => Twilio.Value;

    /// <summary>
    /// Settings that point a portal at the fake Twilio, with retries and timeouts short enough for tests
    /// (a 1 s Twilio timeout, retries from 0.2 s, a look at the outbox every 0.5 s). Every portal the tests start
    /// sends from the one outbox, and the browser tests end their portals by killing them: a short lease lets
    /// another instance take over a text whose sender was killed mid-send within seconds, not a minute.
    /// </summary>
    public static IReadOnlyDictionary<string, string> TwilioSettings(ClinicPortal.TestSupport.FakeTwilio twilio) => new Dictionary<string, string>
    {
        ["Twilio:BaseUrl"] = twilio.BaseUrl,
        ["Twilio:AccountSid"] = ClinicPortal.TestSupport.FakeTwilio.AccountSid,
        ["Twilio:AuthToken"] = ClinicPortal.TestSupport.FakeTwilio.AuthToken,
        ["Twilio:FromNumber"] = ClinicPortal.TestSupport.FakeTwilio.FromNumber,
        ["Twilio:TimeoutSeconds"] = "1",
        ["Sms:RetryBaseSeconds"] = "0.2",
        ["Sms:PollSeconds"] = "0.5",
        ["Sms:LeaseSeconds"] = "5",
    };

    /// <summary>An empty database of its own on the test cluster (not migrated), for tests that must not share the common one.</summary>
    public static async Task<OwnDatabase> OwnDatabaseAsync(string prefix)
    {
        var cluster = await GetAsync();
        var name = prefix + "_" + Guid.NewGuid().ToString("N")[..8];
        await using (var super = new Npgsql.NpgsqlConnection(cluster.SuperuserConnectionString))
            await super.ExecAsync($"create database {name} owner {EmbeddedPostgres.OwnerRole}");
        string On(string cs) => new Npgsql.NpgsqlConnectionStringBuilder(cs) { Database = name }.ConnectionString;
        return new OwnDatabase(On(cluster.AppConnectionString), On(cluster.OwnerConnectionString), On(cluster.SuperuserConnectionString));
    }

    /// <summary>
    /// Every test portal: rate limits far above what the suite sends (every test signs in and calls from one address;
    /// RateLimitTests checks the limits on a portal with small ones), and open pages and hub connections rechecked every
    /// second instead of every minute, so a test sees access end without waiting.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> PortalSettings = new Dictionary<string, string>
    {
        ["Staff:RevalidateSeconds"] = "1",
        // Many portals share the suite's cluster: none keeps idle connections open (WarmConnectionsTests sets its own).
        ["Database:MinPoolSize"] = "0",
        ["Retention:FirstRunMinutes"] = "100000", // tests run it by hand: a run at a portal's start would audit other tests' clinics
        ["Alerts:FirstRunSeconds"] = "2000000", // likewise the alert monitor (Operations/AlertTests runs it on a database of its own)
        ["DataProtection:Key"] = DataProtectionKey,
        ["RateLimits:SignIn:PerIpPerMinute"] = "100000",
        ["RateLimits:SignIn:PerAccountPerMinute"] = "100000",
        ["RateLimits:Public:PerIpPerMinute"] = "100000",
        ["RateLimits:Twilio:PerIpPerMinute"] = "100000",
        ["RateLimits:WebhookUnauthenticated:PerIpPerMinute"] = "100000",
        ["RateLimits:Webhook:PermitsPerSecond"] = "100000",
        ["RateLimits:Webhook:Burst"] = "100000",
    };

    private static string? _root;

    /// <summary>A new empty folder inside this run's directory, removed with it.</summary>
    public static string Scratch(string name) => Directory.CreateDirectory(Path.Combine(_root!, name + "-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    private const string Prefix = "clinicportal-tests-";

    private static async Task<EmbeddedPostgres> StartAsync()
    {
        await RemoveLeftoversAsync();
        var root = _root = Directory.CreateTempSubdirectory(Prefix).FullName;
        await File.WriteAllTextAsync(Path.Combine(root, RunFile), Environment.ProcessId.ToString());
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                       UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var pg = await EmbeddedPostgres.StartAsync(Path.Combine(root, "pg"));
        await Migrator.MigrateAsync(pg.OwnerConnectionString, NullLogger.Instance);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            pg.DisposeAsync().AsTask().GetAwaiter().GetResult();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return pg;
    }

    /// <summary>The file in a run's directory that names the test host that started its cluster.</summary>
    private const string RunFile = "run.pid";

    /// <summary>
    /// Deletes the clusters of earlier runs. The test host does not always give the exit handler time to stop and delete its
    /// own, so each run cleans up after the last: a cluster still running is stopped first when the test host that started
    /// it is gone (another run's, still going, is left alone).
    /// </summary>
    private static async Task RemoveLeftoversAsync()
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            var data = Path.Combine(dir, "pg");
            if (File.Exists(Path.Combine(data, "postmaster.pid")))
            {
                if (StillRunning(Path.Combine(dir, RunFile))) continue;
                await EmbeddedPostgres.StopAsync(data);
            }
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Whether the test host named in this file still runs (no file: an older run's, taken as running).</summary>
    private static bool StillRunning(string runFile)
    {
        if (!File.Exists(runFile) || !int.TryParse(File.ReadAllText(runFile), out var pid)) return true;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
    }
}

public sealed record OwnDatabase(string App, string Owner, string Superuser)
{
    /// <summary>A portal on this database, the way the tests' portal is configured, with more settings.</summary>
    public Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> Portal(params (string Key, string Value)[] settings) =>
        new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ConnectionStrings:Clinic", App);
            b.UseSetting("ConnectionStrings:ClinicOwner", Owner);
            b.UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in settings) b.UseSetting(key, value);
        });

    /// <summary>A portal on this database with the test portal's settings (TestDatabase.PortalSettings, the notes key), and more.</summary>
    public Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> TestPortal(params (string Key, string Value)[] more) =>
        Portal([.. TestDatabase.PortalSettings.Select(kv => (kv.Key, kv.Value)), ("Notes:Keys:test1", TestDatabase.NotesKey), .. more]);
}
