using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace ClinicPortal.Infrastructure;

public static class SettingsFile
{
    /// <summary>
    /// appsettings.json is the repository's top-level file, copied beside the binary at build. The host looks for it in the
    /// content root, which `./clinic` points at src/ClinicPortal, where there is none: the portal then ran without it, at
    /// the Information level for ASP.NET Core (five log lines a request). This reads it from beside the binary, in the
    /// same place among the sources, so environment variables and the command line still override it.
    /// </summary>
    public static WebApplicationBuilder UseSettingsBesideTheBinary(this WebApplicationBuilder builder)
    {
        var sources = builder.Configuration.Sources;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is not JsonConfigurationSource { Path: { } path } json || !path.StartsWith("appsettings", StringComparison.Ordinal)) continue;
            if (File.Exists(Path.Combine(builder.Environment.ContentRootPath, path))) continue;
            sources[i] = new JsonConfigurationSource
            {
                Path = path, Optional = json.Optional, ReloadOnChange = json.ReloadOnChange,
                FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
            };
        }
        return builder;
    }
}
