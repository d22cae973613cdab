using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Import;

/// <summary>
/// `./clinic import patients|providers|procedures --clinic SLUG FILE [--dry-run]`: the same check and import as the admin
/// page; prints the report; exit 1 when any row is invalid (nothing written), 2 on bad usage. Audited as cli:&lt;OS user&gt;.
/// </summary>
public static class ImportCommands
{
    public const string Usage = "usage: import patients|providers|procedures --clinic SLUG FILE [--dry-run]";

    public static async Task<int> RunAsync(string[] args, string ownerConnection, IConfiguration config)
    {
        var file = Positional(args.Skip(2).ToArray());
        if (args.Length < 2 || !Enum.TryParse<ImportKind>(args[1], ignoreCase: true, out var kind) || config["clinic"] is not { Length: > 0 } slug || file is null)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        if (!File.Exists(file))
        {
            Console.Error.WriteLine($"There is no file {file}.");
            return 2;
        }
        await using var clinic = await Infrastructure.CommandClinic.OpenAsync(ownerConnection, slug);
        if (clinic is null) return 2;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var report = await CsvImport.RunAsync(clinic.Conn, clinic.Tx, clinic.Id, kind, await File.ReadAllBytesAsync(file), config.GetValue("dry-run", false),
            "cli:" + Environment.UserName);
        await clinic.CommitAsync();
        Console.WriteLine($"{report} ({System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:0.00} s)");
        return report.Ok ? 0 : 1;
    }

    /// <summary>The one argument that is neither an option nor an option's value.</summary>
    private static string? Positional(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--clinic" || args[i] == "--contentRoot") { i++; continue; }
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) return args[i];
        }
        return null;
    }
}
