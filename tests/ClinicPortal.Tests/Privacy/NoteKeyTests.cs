using ClinicPortal.Features.Privacy;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace ClinicPortal.Tests.Privacy;

/// <summary>Where the notes key may come from: never from beside the data, except in the demo.</summary>
public sealed class NoteKeyTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("clinicportal-keys-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static WebApplicationBuilder Builder(string dataDir, params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))
            .Append(KeyValuePair.Create("Database:DataDirectory", (string?)dataDir)));
        return builder;
    }

    [Fact]
    public void A_key_file_inside_the_data_directory_or_at_the_demos_key_path_is_refused()
    {
        var data = Path.Combine(root, "pg");
        foreach (var file in new[] { Path.Combine(data, "notes.key"), Path.Combine(root, "notes-key.txt") })
        {
            var refused = Assert.Throws<ClinicPortal.Infrastructure.StartupRefusal>(() => Builder(data, ("Notes:KeyFile", file)).AddNoteKeys());
            Assert.Contains("inside the database's directory", refused.Message);
        }
    }

    [Fact]
    public void A_key_file_elsewhere_is_made_once_owner_only_and_used()
    {
        var file = Path.Combine(root, "secrets", "notes.key");
        var first = Builder(Path.Combine(root, "pg"), ("Notes:KeyFile", file)).AddNoteKeys();
        Assert.True(new NoteProtector(first.Configuration).CanProtect);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var key = File.ReadAllText(file);
        var second = Builder(Path.Combine(root, "pg"), ("Notes:KeyFile", file)).AddNoteKeys();
        Assert.Equal(key, File.ReadAllText(file));
        var note = new NoteProtector(first.Configuration).Protect("allergic to lidocaine", Guid.Empty, Guid.Empty);
        Assert.Equal("allergic to lidocaine", new NoteProtector(second.Configuration).Unprotect(note, Guid.Empty, Guid.Empty));
    }

    [Fact]
    public void Outside_the_demo_with_no_key_configured_no_key_is_made_beside_the_data()
    {
        var builder = Builder(Path.Combine(root, "pg")).AddNoteKeys();
        Assert.False(new NoteProtector(builder.Configuration).CanProtect);
        Assert.Empty(Directory.GetFiles(root));

        var demo = Builder(Path.Combine(root, "pg"), ("Demo:Enabled", "true")).AddNoteKeys();
        Assert.True(new NoteProtector(demo.Configuration).CanProtect);
        Assert.True(File.Exists(Path.Combine(root, "notes-key.txt")));
    }
}
