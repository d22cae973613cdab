using ClinicPortal.Infrastructure;

namespace ClinicPortal.Features.Privacy;

/// <summary>
/// Where the notes key comes from, in this order: Notes:Keys:&lt;id&gt; (+ Notes:CurrentKey) from configuration (environment,
/// a secrets store); Notes:KeyFile, a file outside the data directory (KeyFiles: made on first start, back it up); in demo
/// mode on the embedded database only, a key beside the demo data. Otherwise there is no key and notes are not stored
/// (the booking says so). docs/security.md: rotating the key.
/// </summary>
public static class NoteKeys
{
    public static WebApplicationBuilder AddNoteKeys(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        if (config.GetSection("Notes:Keys").GetChildren().Any()) return builder;
        if (KeyFiles.Load(config, "Notes:KeyFile", "notes-key.txt") is { } key)
            config.AddInMemoryCollection(new Dictionary<string, string?> { ["Notes:Keys:file"] = key, ["Notes:CurrentKey"] = "file" });
        return builder;
    }

    /// <summary>The notes key ring outside the web host (the one-off commands), from the same places.</summary>
    public static NoteProtector Protector(IConfiguration config)
    {
        if (config.GetSection("Notes:Keys").GetChildren().Any() || KeyFiles.Load(config, "Notes:KeyFile", "notes-key.txt") is not { } key)
            return new NoteProtector(config);
        return new NoteProtector(new ConfigurationBuilder().AddConfiguration(config)
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Notes:Keys:file"] = key, ["Notes:CurrentKey"] = "file" }).Build());
    }
}
