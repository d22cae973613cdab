using ClinicPortal.Features.Demo;
using ClinicPortal.Features.Staff;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Infrastructure;

/// <summary>`migrate`, `seed-demo`, `user add` and `redact`: one-off jobs instead of serving.</summary>
public static class Commands
{
    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == "redact")
        {
            // One redacted line out per line in: for cleaning exported text and checking the recognizers in bulk.
            while (Console.In.ReadLine() is { } line) Console.Out.WriteLine(Features.Privacy.PiiRedactor.Redact(line));
            return 0;
        }
        if (args.Length == 0 || args[0] is not ("migrate" or "seed-demo" or "user")) return null;
        if (args[0] == "user" && (args.Length < 2 || args[1] != "add"))
        {
            Console.Error.WriteLine("usage: user add --clinic SLUG --email EMAIL --role staff|admin [--name NAME] [--password PASSWORD]");
            return 2;
        }
        var config = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables().AddCommandLine(args.SkipWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray()).Build();
        using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        var connections = DatabaseSetup.Resolve(config, out var embedded);
        try
        {
            var applied = await Migrator.MigrateAsync(connections.Owner, logs.CreateLogger("migrate"));
            Console.WriteLine($"{applied} migration(s) applied; the schema is up to date.");
            if (args[0] == "user") return await AddUserAsync(connections.Owner, config);
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

    private static async Task<int> AddUserAsync(string ownerConnection, IConfiguration config)
    {
        var (clinic, email, role) = (config["clinic"], config["email"], config["role"] ?? "staff");
        if (string.IsNullOrWhiteSpace(clinic) || string.IsNullOrWhiteSpace(email))
        {
            Console.Error.WriteLine("user add needs --clinic and --email");
            return 2;
        }
        var password = config["password"] ?? Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        try
        {
            await StaffAccounts.EnsureAsync(ownerConnection, clinic, email, config["name"] ?? email, password, role);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        Console.WriteLine($"{email} is {role} at {clinic}." + (config["password"] is null ? $" Password (shown once): {password}" : ""));
        Console.WriteLine("An existing account keeps its password; only its role at this clinic was set.");
        return 0;
    }
}
