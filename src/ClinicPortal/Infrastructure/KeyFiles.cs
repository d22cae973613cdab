using System.Security.Cryptography;
using ClinicPortal.Features.Demo;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Infrastructure;

/// <summary>
/// A 32-byte key kept in a file outside the data directory (the notes key, the Data Protection key-encryption key): made,
/// owner-only, on first start, then read. A file inside the database's directory is refused: a copy of the data would carry
/// its key. Only demo mode, on the embedded database, keeps its keys beside its data.
/// </summary>
public static class KeyFiles
{
    /// <summary>The key (base64) from the file named by fileSetting, or the demo's beside its data, or null.</summary>
    public static string? Load(IConfiguration config, string fileSetting, string demoFileName)
    {
        var dataDir = DatabaseSetup.EmbeddedDataDirectory(config);
        var file = config[fileSetting];
        if (file is not null)
        {
            file = Path.GetFullPath(file);
            if (dataDir is not null && (IsInside(file, dataDir) || Path.GetDirectoryName(file) == Path.GetDirectoryName(dataDir)))
                throw new StartupRefusal($"{fileSetting} ({file}) is inside the database's directory; a copy of the data would carry " +
                                                    "its key. Keep the key file elsewhere (./clinic serve uses ~/.config/clinicportal/).");
        }
        else if (DemoMode.IsOn(config) && dataDir is not null)
            file = Path.Combine(Path.GetDirectoryName(dataDir)!, demoFileName);
        if (file is null) return null;
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            EmbeddedPostgres.OwnerOnly(file);
        }
        return File.ReadAllText(file).Trim();
    }

    private static bool IsInside(string path, string directory) =>
        path.StartsWith(Path.GetFullPath(directory).TrimEnd('/') + "/", StringComparison.Ordinal);
}
