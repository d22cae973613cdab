using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Tests.Support;

/// <summary>
/// The built portal running as its own process on a loopback port, on the test database: real Kestrel
/// for the browser tests (the in-memory test server has no socket), and several can share one database.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    public string Url { get; }

    private PortalProcess(Process process, string url)
    {
        _process = process;
        Url = url;
        process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static async Task<PortalProcess> StartAsync(EmbeddedPostgres db, IReadOnlyDictionary<string, string>? settings = null)
    {
        var (binary, contentRoot) = Locate();
        var url = $"http://127.0.0.1:{FreePort()}";
        var psi = new ProcessStartInfo(binary, ["--urls", url, "--contentRoot", contentRoot])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = contentRoot,
            Environment =
            {
                ["ConnectionStrings__Clinic"] = db.AppConnectionString,
                ["ConnectionStrings__ClinicOwner"] = db.OwnerConnectionString,
                ["Logging__LogLevel__Default"] = "Warning",
                ["Notes__Keys__test1"] = TestDatabase.NotesKey,
                ["Notes__CurrentKey"] = "test1",
            },
        };
        foreach (var (key, value) in TestDatabase.TwilioSettings(await TestDatabase.TwilioAsync()).Concat(TestDatabase.PortalSettings)
                     .Concat(settings ?? new Dictionary<string, string>()))
            psi.Environment[key.Replace(":", "__")] = value;
        var portal = new PortalProcess(Process.Start(psi)!, url);
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (portal._process.HasExited) throw new InvalidOperationException("The portal exited:\n" + portal.Output);
            try
            {
                if ((await http.GetAsync(url + "/health/ready")).IsSuccessStatusCode) return portal;
            }
            catch (HttpRequestException) { }
            await Task.Delay(200);
        }
        await portal.DisposeAsync();
        throw new TimeoutException("The portal did not become ready:\n" + portal.Output);
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>
    /// Starts the portal as a deployer would (Production, only the given settings) when it is expected to refuse: its exit
    /// code and what it printed. Fails if it is still running after 60 seconds.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunExpectingRefusalAsync(IReadOnlyDictionary<string, string> settings, params string[] args)
    {
        var (exitCode, stdout, stderr) = await RunAsync(settings, [.. args, "--urls", $"http://127.0.0.1:{FreePort()}"]);
        return (exitCode, stdout + stderr);
    }

    /// <summary>A one-off command (`./clinic audit verify …`, `patient export …`) on this database: exit code, standard output and error.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> CommandAsync(OwnDatabase db, params string[] args) =>
        RunAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings:Clinic"] = db.App, ["ConnectionStrings:ClinicOwner"] = db.Owner,
            ["Notes:Keys:test1"] = TestDatabase.NotesKey, ["Notes:CurrentKey"] = "test1",
        }, args);

    /// <summary>The same for the shared test database.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> CommandAsync(EmbeddedPostgres db, params string[] args) =>
        RunAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings:Clinic"] = db.AppConnectionString, ["ConnectionStrings:ClinicOwner"] = db.OwnerConnectionString,
            ["Notes:Keys:test1"] = TestDatabase.NotesKey, ["Notes:CurrentKey"] = "test1",
        }, args);

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IReadOnlyDictionary<string, string> settings, string[] args)
    {
        var (binary, contentRoot) = Locate();
        var psi = new ProcessStartInfo(binary, [.. args, "--contentRoot", contentRoot])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = contentRoot,
            Environment = { ["ASPNETCORE_ENVIRONMENT"] = "Production", ["Logging__LogLevel__Default"] = "Warning" },
        };
        foreach (var (key, value) in settings) psi.Environment[key.Replace(":", "__")] = value;
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The portal kept running:\n" + await output + await error);
        }
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Ends the process at once, as a crash would: no shutdown, nothing flushed.</summary>
    public async Task CrashAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    /// <summary>The load tools' binary (`verify`, `bench`), built beside these tests.</summary>
    public static string LoadToolBinary()
    {
        var (portal, contentRoot) = Locate();
        var tool = portal.Replace(Path.Combine("src", "ClinicPortal", "bin"), Path.Combine("src", "ClinicPortal.LoadTest", "bin"))[..^"ClinicPortal".Length]
                   + "ClinicPortal.LoadTest";
        return File.Exists(tool) ? tool : throw new FileNotFoundException("build the load tools first", tool);
    }

    /// <summary>The portal binary built beside these tests (same configuration), and its project folder.</summary>
    public static (string Binary, string ContentRoot) Locate()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var parts = AppContext.BaseDirectory.TrimEnd('/').Split('/');
        var configuration = parts[^2]; // .../bin/<Configuration>/<tfm>
        var tfm = parts[^1];
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ClinicPortal.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("cannot find the repository root from " + AppContext.BaseDirectory);
        var project = Path.Combine(dir.FullName, "src", "ClinicPortal");
        var binary = Path.Combine(project, "bin", configuration, tfm, "ClinicPortal");
        return File.Exists(binary) ? (binary, project) : throw new FileNotFoundException("build the portal first", binary);
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
