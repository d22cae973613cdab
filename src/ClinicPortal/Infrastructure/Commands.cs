using ClinicPortal.Features.Demo;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Infrastructure;

/// <summary>`ClinicPortal migrate` and `ClinicPortal seed-demo`: one-off jobs instead of serving.</summary>
public static class Commands
{
    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("migrate" or "seed-demo")) return null;
        var config = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables().AddCommandLine(args[1..]).Build();
        using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        var connections = DatabaseSetup.Resolve(config, out var embedded);
        try
        {
            var applied = await Migrator.MigrateAsync(connections.Owner, logs.CreateLogger("migrate"));
            Console.WriteLine($"{applied} migration(s) applied; the schema is up to date.");
            if (args[0] == "seed-demo")
            {
                await DemoSeed.SeedAsync(connections.Owner, DemoSeed.Options.From(config));
                Console.WriteLine("Demo clinics riverside and harbour are seeded.");
            }
            return 0;
        }
        finally
        {
            if (embedded is not null) await embedded.DisposeAsync();
        }
    }
}
