using ClinicPortal.Features.Demo;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Privacy;

/// <summary>
/// Where the notes key comes from, in this order:
/// Notes:Keys:&lt;id&gt; (+ Notes:CurrentKey) from configuration (environment, a secrets store);
/// Notes:KeyFile, a file outside the data directory (made, owner-only, on first start: back it up);
/// in demo mode on the embedded database only, a key beside the demo data.
/// Otherwise there is no key and notes are not stored (the booking says so). docs/security.md: rotating the key.
/// </summary>
public static class NoteKeys
{
    public static WebApplicationBuilder AddNoteKeys(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        if (config.GetSection("Notes:Keys").GetChildren().Any()) return builder;
        var dataDir = DatabaseSetup.EmbeddedDataDirectory(config);
        string? file = config["Notes:KeyFile"];
        if (file is not null)
        {
            file = Path.GetFullPath(file);
            if (dataDir is not null && (IsInside(file, dataDir) || file == DemoKeyFile(dataDir)))
                throw new InvalidOperationException($"Notes:KeyFile ({file}) is inside the database's directory; a copy of the data would carry " +
                                                    "its key. Keep the key file elsewhere (./clinic serve uses ~/.config/clinicportal/notes.key).");
        }
        else if (DemoMode.IsOn(config) && dataDir is not null)
            file = DemoKeyFile(dataDir);
        if (file is null) return builder;
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, NoteProtector.NewKey());
            EmbeddedPostgres.OwnerOnly(file);
        }
        config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Notes:Keys:file"] = File.ReadAllText(file).Trim(), ["Notes:CurrentKey"] = "file",
        });
        return builder;
    }

    /// <summary>The demo's key, beside its data (.data/notes-key.txt by default).</summary>
    private static string DemoKeyFile(string dataDir) => Path.Combine(Path.GetDirectoryName(dataDir)!, "notes-key.txt");

    private static bool IsInside(string path, string directory) =>
        path.StartsWith(Path.GetFullPath(directory).TrimEnd('/') + "/", StringComparison.Ordinal);
}
