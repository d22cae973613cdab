using Microsoft.EntityFrameworkCore;
using ClinicPortal.Features.Demo;
using Npgsql;

namespace ClinicPortal.Infrastructure.Database;

public static class DatabaseSetup
{
    /// <summary>
    /// Uses ConnectionStrings:Clinic (runtime role) and ConnectionStrings:ClinicOwner (migrations) when
    /// configured; otherwise starts the embedded cluster under Database:DataDirectory (default .data/pg).
    /// </summary>
    public static WebApplicationBuilder AddClinicDatabase(this WebApplicationBuilder builder)
    {
        var connections = Resolve(builder.Configuration, out var embedded);
        if (embedded is not null)
        {
            builder.Services.AddSingleton(embedded);
            builder.Services.AddHostedService(_ => new EmbeddedPostgresLifetime(embedded));
        }
        builder.Services.AddSingleton(connections);
        builder.Services.AddSingleton(_ =>
        {
            var source = new NpgsqlDataSourceBuilder(connections.App) { Name = "clinic-app" };
            // The clinic is set per transaction, never per session, so a pooled connection has no state
            // to reset: skip the DISCARD ALL Npgsql would otherwise send on every reuse.
            source.ConnectionStringBuilder.NoResetOnClose = true;
            // The same few statements run on every webhook: let Npgsql prepare them once per connection
            // so PostgreSQL stops parsing and planning them each time.
            source.ConnectionStringBuilder.MaxAutoPrepare = 64;
            // A pool of a few connections per database core: more busy backends than cores only adds contention (CPU, WAL
            // and lock-manager waits); requests queue for a connection instead. The embedded database's connection string
            // says so (EmbeddedPostgres.PoolSize); for another database, set Database:MaxPoolSize (docs/operations.md).
            if (builder.Configuration.GetValue<int?>("Database:MaxPoolSize") is { } size) source.ConnectionStringBuilder.MaxPoolSize = size;
            source.ConnectionStringBuilder.MinPoolSize = WarmConnections.MinPoolSize(builder.Configuration, source.ConnectionStringBuilder.MaxPoolSize);
            ClinicData.MapEnums(source);
            return source.Build();
        });
        builder.Services.AddPooledDbContextFactory<ClinicData>((sp, o) => ClinicData.Configure(o, sp.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddSingleton<ClinicDb>();
        builder.Services.AddHostedService<DatabaseStartup>();
        builder.Services.AddHostedService<WarmConnections>();
        return builder;
    }

    public static DatabaseConnections Resolve(IConfiguration config, out EmbeddedPostgres? embedded)
    {
        var app = config.GetConnectionString("Clinic");
        embedded = null;
        if (!string.IsNullOrWhiteSpace(app))
        {
            var owner = config.GetConnectionString("ClinicOwner");
            if (string.IsNullOrWhiteSpace(owner))
                throw new InvalidOperationException("ConnectionStrings:ClinicOwner (the role that owns the schema and runs migrations) " +
                                                    "is required when ConnectionStrings:Clinic is set.");
            return new DatabaseConnections(app, owner, Embedded: false);
        }
        var dataDir = EmbeddedDataDirectory(config)!;
        embedded = EmbeddedPostgres.StartAsync(dataDir).GetAwaiter().GetResult();
        File.WriteAllText(EmbeddedPostgres.InfoFile(dataDir), System.Text.Json.JsonSerializer.Serialize(
            new { app = embedded.AppConnectionString, owner = embedded.OwnerConnectionString }));
        EmbeddedPostgres.OwnerOnly(EmbeddedPostgres.InfoFile(dataDir));
        return new DatabaseConnections(embedded.AppConnectionString, embedded.OwnerConnectionString, Embedded: true);
    }

    /// <summary>The embedded cluster's directory, or null when a connection string is configured.</summary>
    public static string? EmbeddedDataDirectory(IConfiguration config) =>
        string.IsNullOrWhiteSpace(config.GetConnectionString("Clinic"))
            ? Path.GetFullPath(config["Database:DataDirectory"] ?? Path.Combine(Directory.GetCurrentDirectory(), ".data", "pg"))
            : null;

    private sealed class EmbeddedPostgresLifetime(EmbeddedPostgres pg) : IHostedService
    {
        public Task StartAsync(CancellationToken ct) => Task.CompletedTask;
        public async Task StopAsync(CancellationToken ct) => await pg.DisposeAsync();
    }

    /// <summary>
    /// Migrates before the server listens. In demo mode it seeds the demo clinics; otherwise it refuses to start while
    /// demo accounts or secrets are active.
    /// </summary>
    private sealed class DatabaseStartup(DatabaseConnections connections, IConfiguration config, ILogger<DatabaseStartup> logger,
        IServiceProvider services) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            try
            {
                await Migrator.MigrateAsync(connections.Owner, logger, ct);
                var demo = DemoSeed.Options.From(config);
                if (DemoMode.IsOn(config)) await DemoSeed.SeedAsync(connections.Owner, demo, services.GetRequiredService<Features.Privacy.NoteProtector>(), ct);
                else if (await DemoMode.LeftoversAsync(connections.Owner, demo, ct) is { Count: > 0 } leftovers)
                {
                    logger.LogCritical("{Refusal}", DemoMode.Refusal(leftovers));
                    throw new StartupRefusal(DemoMode.Refusal(leftovers));
                }
            }
            catch
            {
                // The host will not start, so nothing else stops the database we started.
                if (services.GetService<EmbeddedPostgres>() is { } embedded) await embedded.DisposeAsync();
                throw;
            }
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
