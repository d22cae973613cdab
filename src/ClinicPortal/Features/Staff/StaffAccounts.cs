using System.Security.Cryptography;
using ClinicPortal.Infrastructure.Database;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ClinicPortal.Features.Staff;

public sealed record StaffUser(Guid Id, string Email, string DisplayName);

/// <summary>A clinic a person may work in, and their role there.</summary>
public sealed record Membership(Guid ClinicId, string Slug, string Name, string TimeZone, string Role);

/// <summary>What a session is checked against: the person's clinics, the current security stamp, and whether a new password is owed.</summary>
public sealed record StaffAccess(IReadOnlyList<Membership> Clinics, Guid SecurityStamp, bool MustChangePassword);

/// <summary>A colleague as an admin's staff list shows them.</summary>
public sealed record Colleague(Guid UserId, string Email, string DisplayName, string Role, bool MustChangePassword, bool Locked);

public abstract record SignInOutcome
{
    public sealed record Success(StaffUser User, StaffAccess Access) : SignInOutcome;

    /// <summary>Wrong password, unknown email and a locked account alike: the caller learns nothing about which.</summary>
    public sealed record Refused : SignInOutcome;
}

/// <summary>
/// Staff accounts. Passwords are hashed with ASP.NET Core Identity's PasswordHasher (PBKDF2-HMAC-SHA512 at OWASP's
/// 210,000 iterations; an older hash is replaced at the next sign-in). Each attempt is counted before the password is
/// checked; the fifth failure in a row locks the account for fifteen minutes. The runtime role reaches accounts only
/// through the functions in db/migrations/0005_staff.sql and 0012_staff_sessions.sql.
/// </summary>
public sealed class StaffAccounts(ClinicDb db)
{
    public const int LockAfterFailures = 5;
    public const int LockMinutes = 15;
    public const int Pbkdf2Iterations = 210_000; // OWASP Password Storage Cheat Sheet, PBKDF2-HMAC-SHA512
    public static readonly string[] Roles = ["staff", "admin"];

    private static readonly PasswordHasher<StaffUser> Hasher = new(Options.Create(new PasswordHasherOptions { IterationCount = Pbkdf2Iterations }));
    // Verified against when the email is unknown or the account locked, so every refusal takes as long as a wrong password.
    private static readonly string DecoyHash = Hasher.HashPassword(new StaffUser(Guid.Empty, "", ""), Guid.NewGuid().ToString());

    public static string Hash(string email, string password) => Hasher.HashPassword(new StaffUser(Guid.Empty, email, ""), password);

    public async Task<SignInOutcome> SignInAsync(string email, string password, CancellationToken ct = default)
    {
        email = email.Trim().ToLowerInvariant();
        await using var conn = await db.OpenAsync(ct);
        var attempt = await conn.Command("""
                select user_id, display_name, password_hash, locked from staff_begin_sign_in(@email, @lockAfter, @lockMinutes)
                """).With("email", email).With("lockAfter", LockAfterFailures).With("lockMinutes", LockMinutes)
            .FirstOrDefaultAsync(r => (Id: r.GetGuid(0), Name: r.GetString(1), Hash: r.GetString(2), Locked: r.GetBoolean(3)), ct);
        if (attempt == default || attempt.Locked)
        {
            Hasher.VerifyHashedPassword(new StaffUser(Guid.Empty, email, ""), DecoyHash, password);
            return new SignInOutcome.Refused();
        }
        var user = new StaffUser(attempt.Id, email, attempt.Name);
        var verdict = Hasher.VerifyHashedPassword(user, attempt.Hash, password);
        if (verdict == PasswordVerificationResult.Failed) return new SignInOutcome.Refused();
        var rehash = verdict == PasswordVerificationResult.SuccessRehashNeeded ? Hasher.HashPassword(user, password) : null;
        await conn.Command("select staff_sign_in_succeeded(@id, @rehash)").With("id", user.Id).With("rehash", rehash).RunAsync(ct);
        var access = await AccessAsync(conn, user.Id, ct);
        return access is null ? new SignInOutcome.Refused() : new SignInOutcome.Success(user, access);
    }

    /// <summary>The person's clinics, stamp and password state; null when they have no clinic left.</summary>
    public async Task<StaffAccess?> AccessAsync(Guid userId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        return await AccessAsync(conn, userId, ct);
    }

    private static async Task<StaffAccess?> AccessAsync(NpgsqlConnection conn, Guid userId, CancellationToken ct)
    {
        var rows = await conn.Command("""
                select clinic_id, slug, name, time_zone, role, security_stamp, must_change_password from staff_access(@userId)
                """).With("userId", userId)
            .ListAsync(r => (Clinic: new Membership(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4)),
                Stamp: r.GetGuid(5), MustChange: r.GetBoolean(6)), ct);
        return rows.Count == 0 ? null : new StaffAccess([.. rows.Select(r => r.Clinic)], rows[0].Stamp, rows[0].MustChange);
    }

    /// <summary>
    /// A person changes their own password, proving the current one (counted like a sign-in attempt, so a stolen session
    /// cannot guess it). Every session of theirs ends: the new stamp is returned, to re-issue this one. Else the refusal.
    /// </summary>
    public async Task<(Guid? NewStamp, string? Refusal)> ChangePasswordAsync(StaffUser user, string current, string next, CancellationToken ct = default)
    {
        if (PasswordPolicy.Refusal(next, user.Email) is { } weak) return (null, weak);
        if (current == next) return (null, "The new password must differ from the current one.");
        if (await SignInAsync(user.Email, current, ct) is not SignInOutcome.Success)
            return (null, "The current password is not right (or the account is locked for a while).");
        await using var conn = await db.OpenAsync(ct);
        var stamp = await conn.Command("select staff_set_password(@id, @hash, false)").With("id", user.Id)
            .With("hash", Hash(user.Email, next)).ScalarAsync<Guid>(ct);
        return (stamp, null);
    }

    /// <summary>An admin's reset of a colleague in their clinic: a one-time password, to be changed at the next sign-in. Null if not a colleague.</summary>
    public async Task<string?> ResetPasswordAsync(Guid clinic, Guid colleague, string actor, CancellationToken ct = default)
    {
        var oneTime = OneTimePassword();
        var done = await db.WriteAsync(clinic, async (conn, tx) =>
        {
            if (!await conn.Command("select staff_reset_password(@id, @hash)", tx).With("id", colleague).With("hash", Hash("", oneTime)).ScalarAsync<bool>(ct))
                return false;
            await conn.Command("select audit(@actor, 'staff.password_reset', 'staff_user', @id::text, '{}')", tx).With("actor", actor)
                .With("id", colleague).RunAsync(ct);
            return true;
        }, ct);
        return done ? oneTime : null;
    }

    /// <summary>Ends every session of the person (this one too).</summary>
    public async Task SignOutEverywhereAsync(Guid userId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        await conn.Command("select staff_new_security_stamp(@id)").With("id", userId).RunAsync(ct);
    }

    public Task<List<Colleague>> ColleaguesAsync(Guid clinic, CancellationToken ct = default) =>
        db.ReadDataAsync(clinic, data => data.Database.SqlQuery<Colleague>($"""
            select user_id, email, display_name, role, must_change_password, locked from staff_of_clinic()
            """).ToListAsync(ct), ct);

    /// <summary>Sixteen characters from a 54-letter alphabet without look-alikes (about 92 bits), to read out or paste.</summary>
    public static string OneTimePassword() =>
        RandomNumberGenerator.GetString("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 16);

    /// <summary>
    /// Creates the account if new (keeping an existing one's password) and gives it a role in the clinic. A password the
    /// person did not choose (mustChange) has to be changed at the first sign-in.
    /// </summary>
    public static async Task EnsureAsync(string ownerConnectionString, string clinicSlug, string email, string displayName, string password, string role,
        CancellationToken ct = default, bool mustChange = false)
    {
        if (!Roles.Contains(role)) throw new ArgumentException($"role must be one of {string.Join(", ", Roles)}", nameof(role));
        email = email.Trim().ToLowerInvariant();
        if (PasswordPolicy.Refusal(password, email) is { } weak) throw new ArgumentException(weak, nameof(password));
        await using var conn = new NpgsqlConnection(ownerConnectionString);
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var clinicId = await conn.Command("select id from clinics where slug = @slug", tx).With("slug", clinicSlug).ScalarAsync<Guid?>(ct)
                       ?? throw new ArgumentException($"no clinic '{clinicSlug}'", nameof(clinicSlug));
        var userId = await conn.Command("""
            insert into staff_users (email, display_name, password_hash, must_change_password) values (@email, @displayName, @hash, @mustChange)
            on conflict (email) do update set display_name = staff_users.display_name
            returning id
            """, tx).With("email", email).With("displayName", displayName).With("hash", Hash(email, password)).With("mustChange", mustChange)
            .ScalarAsync<Guid>(ct);
        await conn.Command("""
            insert into clinic_staff (clinic_id, user_id, role) values (@clinicId, @userId, @role)
            on conflict (clinic_id, user_id) do update set role = excluded.role
            """, tx).With("clinicId", clinicId).With("userId", userId).With("role", role).RunAsync(ct);
        await tx.CommitAsync(ct);
    }
}
