using ClinicPortal.Features.Webhooks;
using ClinicPortal.Features.Clinics;
using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Demo;

/// <summary>
/// Demo mode (`--demo`, which `./clinic run` passes): the demo clinics, accounts and webhook secrets are seeded, and
/// the banner says so. Without it the portal seeds nothing, and refuses to start while any demo account or demo secret
/// is still active in its database, so a demo never goes live by accident.
/// </summary>
public static class DemoMode
{
    public const string Flag = "--demo";
    public const string Setting = "Demo:Enabled";

    /// <summary>`--demo` becomes Demo:Enabled=true (a bare flag would swallow the next argument as its value).</summary>
    public static string[] Apply(string[] args) => args.Contains(Flag) ? [.. args.Where(a => a != Flag), $"--{Setting}=true"] : args;

    public static bool IsOn(IConfiguration config) => config.GetValue(Setting, false);

    public static IReadOnlyList<string> Accounts =>
        [.. new[] { "riverside", "harbour" }.SelectMany(c => new[] { $"admin@{c}.example", $"staff@{c}.example" })];

    /// <summary>What of the demo is active in this database: demo accounts and unrevoked demo webhook secrets, by name.</summary>
    public static async Task<IReadOnlyList<string>> LeftoversAsync(string ownerConnectionString, DemoSeed.Options options, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(ownerConnectionString);
        await conn.OpenAsync(ct);
        var accounts = await conn.Command("select email from staff_users where email = any(@emails) order by email")
            .With("emails", Accounts.ToArray()).ListAsync(r => r.GetString(0) + " (demo account)", ct);
        var secrets = new List<string>();
        foreach (var secret in options.Secrets)
            if (await conn.Command("select exists (select 1 from webhook_credentials where secret_hash = @hash and revoked_at is null)")
                    .With("hash", NewCredential.Hash(secret)).ScalarAsync<bool>(ct))
                secrets.Add(secret + " (demo webhook secret)");
        return [.. accounts, .. secrets];
    }

    /// <summary>Deletes the demo accounts and revokes the demo secrets (how many of each); the clinics and their history stay.</summary>
    public static async Task<int> RemoveAsync(string ownerConnectionString, DemoSeed.Options options, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(ownerConnectionString);
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var removed = await conn.Command("""
            delete from clinic_staff where user_id in (select id from staff_users where email = any(@emails));
            delete from staff_users where email = any(@emails);
            """, tx).With("emails", Accounts.ToArray()).RunAsync(ct);
        var credentials = await conn.Command("select clinic_id, id from webhook_credentials where secret_hash = any(@hashes) and revoked_at is null", tx)
            .With("hashes", options.Secrets.Select(NewCredential.Hash).ToArray()).ListAsync(r => (Clinic: r.GetGuid(0), Id: r.GetGuid(1)), ct);
        foreach (var c in credentials) // each under its clinic: row-level security holds for the owner too
            await conn.Command("""
                select set_config('app.clinic_id', @clinic::text, true);
                update webhook_credentials set revoked_at = now() where clinic_id = @clinic and id = @id;
                """, tx).With("clinic", c.Clinic).With("id", c.Id).RunAsync(ct);
        await tx.CommitAsync(ct);
        return removed + credentials.Count;
    }

    public static string Refusal(IReadOnlyList<string> leftovers) =>
        "ClinicPortal is not in demo mode, but this database still has demo data that anyone who has read the README could use: " +
        string.Join(", ", leftovers) + ". Remove it with `./clinic remove-demo` (deletes the demo accounts and revokes the demo " +
        "secrets; the clinics and their history stay), or start the demo with `./clinic run` (demo mode).";
}
