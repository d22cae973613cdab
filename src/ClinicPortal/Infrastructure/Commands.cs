using ClinicPortal.Features.Demo;
using ClinicPortal.Features.Staff;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Infrastructure;

/// <summary>`migrate`, `seed-demo`, `remove-demo`, `clinic add`, `user add`, `audit verify`, `patient export|erase`, `import` and `redact`: one-off jobs instead of serving.</summary>
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
        if (args.Length == 0 || args[0] is not ("migrate" or "seed-demo" or "remove-demo" or "user" or "clinic" or "audit" or "patient" or "import")) return null;
        if (args[0] == "patient" && (args.Length < 2 || args[1] is not ("export" or "erase")))
        {
            Console.Error.WriteLine(Features.Patients.PatientCommands.Usage);
            return 2;
        }
        if (args[0] == "audit" && (args.Length < 2 || args[1] != "verify"))
        {
            Console.Error.WriteLine(Features.Audit.AuditCommands.VerifyUsage);
            return 2;
        }
        if (args[0] == "user" && (args.Length < 2 || args[1] != "add"))
        {
            Console.Error.WriteLine("usage: user add --clinic SLUG --email EMAIL --role staff|admin [--name NAME] [--password PASSWORD]");
            return 2;
        }
        if (args[0] == "clinic" && (args.Length < 2 || args[1] != "add"))
        {
            Console.Error.WriteLine(ClinicUsage);
            return 2;
        }
        var config = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables().AddCommandLine(Flags(args.SkipWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray())).Build();
        // Diagnostics go to standard error: standard output carries what a command produces (an export's JSON).
        using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        var connections = DatabaseSetup.Resolve(config, out var embedded);
        try
        {
            var applied = await Migrator.MigrateAsync(connections.Owner, logs.CreateLogger("migrate"));
            Console.Error.WriteLine($"{applied} migration(s) applied; the schema is up to date.");
            if (args[0] == "user") return await AddUserAsync(connections.Owner, config);
            if (args[0] == "clinic") return await AddClinicAsync(connections.Owner, config);
            if (args[0] == "audit") return await Features.Audit.AuditCommands.VerifyAsync(connections.Owner, config);
            if (args[0] == "patient") return await Features.Patients.PatientCommands.RunAsync(args[1], connections.Owner, config);
            if (args[0] == "import") return await Features.Import.ImportCommands.RunAsync(args, connections.Owner, config);
            if (args[0] == "remove-demo")
            {
                var removed = await DemoMode.RemoveAsync(connections.Owner, DemoSeed.Options.From(config));
                Console.WriteLine($"Demo accounts deleted and demo webhook secrets revoked ({removed} row(s)); the portal now starts without --demo.");
            }
            if (args[0] == "seed-demo")
            {
                // As demo mode would: on the embedded database the notes key (which seals harbour's HMAC secret) lives beside the data.
                var demoConfig = new ConfigurationBuilder().AddConfiguration(config)
                    .AddInMemoryCollection(new Dictionary<string, string?> { ["Demo:Enabled"] = "true" }).Build();
                var sealer = Features.Privacy.NoteKeys.Protector(demoConfig);
                await DemoSeed.SeedAsync(connections.Owner, DemoSeed.Options.From(config), sealer);
                Console.WriteLine("Demo clinics riverside and harbour are seeded." + (sealer.CanProtect ? ""
                    : " Harbour's HMAC credential is not: no notes key is configured to seal it (Notes:Keys or Notes:KeyFile)."));
            }
            return 0;
        }
        finally
        {
            if (embedded is not null) await embedded.DisposeAsync();
        }
    }

    /// <summary>
    /// The options only, for the configuration: "--key value" and "--key=value" pairs, and a bare switch ("--yes" followed by
    /// another option or nothing) as "--yes=true". A positional argument (a file name, which may start with "/" and would
    /// otherwise be read as an option) is left out: the command reads it from the arguments itself.
    /// </summary>
    private static string[] Flags(string[] args)
    {
        var options = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) continue;
            if (args[i].Contains('=')) options.Add(args[i]);
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) options.AddRange([args[i], args[++i]]);
            else options.Add(args[i] + "=true");
        }
        return [.. options];
    }

    private const string ClinicUsage =
        "usage: clinic add --slug SLUG --name NAME [--time-zone Europe/London] [--country GB] [--phone +44...] [--min-notice-minutes 60]";

    /// <summary>A new clinic (no providers yet: staff add them) and its first webhook secret, shown once.</summary>
    private static async Task<int> AddClinicAsync(string ownerConnection, IConfiguration config)
    {
        var (slug, name) = (config["slug"], config["name"]);
        if (string.IsNullOrWhiteSpace(slug) || string.IsNullOrWhiteSpace(name))
        {
            Console.Error.WriteLine(ClinicUsage);
            return 2;
        }
        var country = (config["country"] ?? "GB").ToUpperInvariant();
        var phone = config["phone"] is { Length: > 0 } given ? Shared.Phone.Normalize(given, country) : null;
        if (config["phone"] is { Length: > 0 } && phone is null)
        {
            Console.Error.WriteLine($"--phone {config["phone"]} is not a valid number in {country}.");
            return 2;
        }
        await using (var conn = new Npgsql.NpgsqlConnection(ownerConnection))
        {
            await conn.OpenAsync();
            if (await conn.Command("select exists (select 1 from clinics where slug = @slug)").With("slug", slug).ScalarAsync<bool>())
            {
                // Setup would keep the clinic and quietly add another live secret: say so instead.
                Console.Error.WriteLine($"A clinic '{slug}' exists already; nothing was changed. New webhook secrets are made in its settings.");
                return 2;
            }
        }
        var secret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        try
        {
            await Features.Clinics.ClinicSetup.EnsureClinicAsync(ownerConnection, new Features.Clinics.ClinicSpec(slug, name,
                config["time-zone"] ?? "Europe/London", phone, config.GetValue("min-notice-minutes", 60), [], [], [secret], country));
        }
        catch (Npgsql.PostgresException e)
        {
            Console.Error.WriteLine($"The clinic was not created: {e.MessageText}");
            return 2;
        }
        Console.WriteLine($"Clinic {slug} is created. Its Vapi webhook secret (shown once; send it as Authorization: Bearer): {secret}");
        Console.WriteLine($"Next: ./clinic user add --clinic {slug} --email you@example.com --role admin");
        return 0;
    }

    private static async Task<int> AddUserAsync(string ownerConnection, IConfiguration config)
    {
        var (clinic, email, role) = (config["clinic"], config["email"], config["role"] ?? "staff");
        if (string.IsNullOrWhiteSpace(clinic) || string.IsNullOrWhiteSpace(email))
        {
            Console.Error.WriteLine("user add needs --clinic and --email");
            return 2;
        }
        var password = config["password"] ?? StaffAccounts.OneTimePassword();
        try
        {
            // A generated password was not chosen by the person: they choose their own at the first sign-in.
            await StaffAccounts.EnsureAsync(ownerConnection, clinic, email, config["name"] ?? email, password, role, mustChange: config["password"] is null);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        Console.WriteLine($"{email} is {role} at {clinic}." +
                          (config["password"] is null ? $" One-time password (shown once; to be changed at the first sign-in): {password}" : ""));
        Console.WriteLine("An existing account keeps its password; only its role at this clinic was set.");
        return 0;
    }
}
