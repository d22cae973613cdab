using System.Text.Json;

namespace ClinicPortal.LoadTest;

/// <summary>--name value pairs from the command line.</summary>
public sealed class Options(Dictionary<string, string> values)
{
    public static Options Parse(IEnumerable<string> args)
    {
        var values = new Dictionary<string, string>();
        string? key = null;
        foreach (var a in args)
        {
            if (a.StartsWith("--", StringComparison.Ordinal)) { key = a[2..]; values[key] = "true"; }
            else if (key is not null) { values[key] = a; key = null; }
        }
        return new Options(values);
    }

    public string Get(string name, string fallback) => values.TryGetValue(name, out var v) ? v : fallback;
    public string? Get(string name) => values.GetValueOrDefault(name);

    /// <summary>--db, or the embedded database that `./clinic run` records in .data/embedded-db.json.</summary>
    public static string? OwnerConnection(Options o)
    {
        if (o.Get("db") is { } db) return db;
        var info = o.Get("db-info", Path.Combine(Directory.GetCurrentDirectory(), ".data", "embedded-db.json"));
        return File.Exists(info) ? JsonDocument.Parse(File.ReadAllText(info)).RootElement.GetProperty("owner").GetString() : null;
    }

    public static string? AppConnection(Options o)
    {
        var info = o.Get("db-info", Path.Combine(Directory.GetCurrentDirectory(), ".data", "embedded-db.json"));
        return File.Exists(info) ? JsonDocument.Parse(File.ReadAllText(info)).RootElement.GetProperty("app").GetString() : null;
    }
}
