using ClinicPortal.Infrastructure.Database;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace ClinicPortal.Features.Staff;

public sealed record StaffUser(Guid Id, string Email, string DisplayName);

/// <summary>A clinic a person may work in, and their role there.</summary>
public sealed record Membership(Guid ClinicId, string Slug, string Name, string TimeZone, string Role);

public abstract record SignInOutcome
{
    public sealed record Success(StaffUser User, IReadOnlyList<Membership> Clinics) : SignInOutcome;
    public sealed record Locked(DateTime Until) : SignInOutcome;
    public sealed record Refused : SignInOutcome;
}

/// <summary>
/// Staff accounts: passwords hashed with ASP.NET Core Identity's PasswordHasher, five failures in a row
/// lock an account for fifteen minutes. The runtime role reaches accounts only through the functions
/// in db/migrations/0005_staff.sql.
/// </summary>
public sealed class StaffAccounts(ClinicDb db)
{
    public const int LockAfterFailures = 5;
    public const int LockMinutes = 15;
    public static readonly string[] Roles = ["staff", "admin"];

    private static readonly PasswordHasher<StaffUser> Hasher = new();
    // Verified against when the email is unknown, so a wrong email takes as long as a wrong password.
    private static readonly string DecoyHash = Hasher.HashPassword(new StaffUser(Guid.Empty, "", ""), Guid.NewGuid().ToString());

    private sealed record Account(Guid UserId, string DisplayName, string PasswordHash, DateTime? LockedUntil);

    public async Task<SignInOutcome> SignInAsync(string email, string password, CancellationToken ct = default)
    {
        email = email.Trim().ToLowerInvariant();
        await using var conn = await db.OpenAsync(ct);
        var account = await conn.Command("select user_id, display_name, password_hash, locked_until from staff_sign_in_lookup(@email)")
            .With("email", email).FirstOrDefaultAsync(r => new Account(r.GetGuid(0), r.GetString(1), r.GetString(2), r.Value<DateTime?>(3)), ct);
        if (account is null)
        {
            Hasher.VerifyHashedPassword(new StaffUser(Guid.Empty, email, ""), DecoyHash, password);
            return new SignInOutcome.Refused();
        }
        if (account.LockedUntil is { } until && until > DateTime.UtcNow) return new SignInOutcome.Locked(until);

        var user = new StaffUser(account.UserId, email, account.DisplayName);
        var ok = Hasher.VerifyHashedPassword(user, account.PasswordHash, password) != PasswordVerificationResult.Failed;
        var locked = await conn.Command("select staff_record_sign_in(@id, @ok, @lockAfter, @lockMinutes)").With("id", account.UserId)
            .With("ok", ok).With("lockAfter", LockAfterFailures).With("lockMinutes", LockMinutes).ScalarAsync<DateTime?>(ct);
        if (!ok) return locked is { } l ? new SignInOutcome.Locked(l) : new SignInOutcome.Refused();
        var clinics = await MembershipsAsync(conn, account.UserId);
        return clinics.Count == 0 ? new SignInOutcome.Refused() : new SignInOutcome.Success(user, clinics);
    }

    public async Task<IReadOnlyList<Membership>> MembershipsAsync(Guid userId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        return await MembershipsAsync(conn, userId);
    }

    private static async Task<IReadOnlyList<Membership>> MembershipsAsync(NpgsqlConnection conn, Guid userId) =>
        await conn.Command("select clinic_id, slug, name, time_zone, role from staff_memberships(@userId)").With("userId", userId)
            .ListAsync(r => new Membership(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4)));

    /// <summary>Creates the account if new (keeping an existing one's password) and gives it a role in the clinic.</summary>
    public static async Task EnsureAsync(string ownerConnectionString, string clinicSlug, string email, string displayName, string password, string role,
        CancellationToken ct = default)
    {
        if (!Roles.Contains(role)) throw new ArgumentException($"role must be one of {string.Join(", ", Roles)}", nameof(role));
        await using var conn = new NpgsqlConnection(ownerConnectionString);
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var clinicId = await conn.Command("select id from clinics where slug = @slug", tx).With("slug", clinicSlug).ScalarAsync<Guid?>(ct)
                       ?? throw new ArgumentException($"no clinic '{clinicSlug}'", nameof(clinicSlug));
        email = email.Trim().ToLowerInvariant();
        var hash = Hasher.HashPassword(new StaffUser(Guid.Empty, email, displayName), password);
        var userId = await conn.Command("""
            insert into staff_users (email, display_name, password_hash) values (@email, @displayName, @hash)
            on conflict (email) do update set display_name = staff_users.display_name
            returning id
            """, tx).With("email", email).With("displayName", displayName).With("hash", hash).ScalarAsync<Guid>(ct);
        await conn.Command("""
            insert into clinic_staff (clinic_id, user_id, role) values (@clinicId, @userId, @role)
            on conflict (clinic_id, user_id) do update set role = excluded.role
            """, tx).With("clinicId", clinicId).With("userId", userId).With("role", role).RunAsync(ct);
        await tx.CommitAsync(ct);
    }
}
