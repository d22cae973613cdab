using ClinicPortal.Infrastructure.Database;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClinicPortal.Tests.Support;

/// <summary>One throwaway PostgreSQL cluster for the test run, started by the app's own launcher and migrated once.</summary>
public static class TestDatabase
{
    private static readonly Lazy<Task<EmbeddedPostgres>> Cluster = new(StartAsync);

    public static Task<EmbeddedPostgres> GetAsync() => Cluster.Value;

    private static async Task<EmbeddedPostgres> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("clinicportal-tests-").FullName;
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
}
