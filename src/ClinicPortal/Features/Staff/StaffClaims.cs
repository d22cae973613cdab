using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace ClinicPortal.Features.Staff;

/// <summary>
/// The signed-in person and the clinic they are working in. Every page query runs under row-level
/// security for ClinicId, which is set only after checking the person's membership, never from a URL.
/// </summary>
public static class StaffClaims
{
    public const string ClinicId = "clinic_id";
    public const string ClinicSlug = "clinic_slug";
    public const string ClinicName = "clinic_name";
    public const string TimeZone = "clinic_time_zone";
    public const string AdminPolicy = "clinic-admin";
    /// <summary>Signed in, even while a new password is owed: only the password page and sign-out use it.</summary>
    public const string SignedInPolicy = "signed-in";
    public const string SecurityStamp = "security_stamp";
    public const string IssuedAt = "session_issued_at";
    public const string MustChangePassword = "must_change_password";

    /// <summary>A session lives at most this long after sign-in, whatever it does meanwhile.</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(12);

    /// <summary>A new session (at sign-in), or the same session re-issued for another clinic or new settings (issued is kept).</summary>
    public static ClaimsPrincipal Create(StaffUser user, Membership clinic, StaffAccess access, DateTimeOffset issued) => new(new ClaimsIdentity(
    [
        new Claim(SecurityStamp, access.SecurityStamp.ToString()),
        new Claim(IssuedAt, issued.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
        .. access.MustChangePassword ? [new Claim(MustChangePassword, "true")] : Array.Empty<Claim>(),
        new Claim(ClaimTypes.NameIdentifier, user.Id.ToString()),
        new Claim(ClaimTypes.Email, user.Email),
        new Claim(ClaimTypes.Name, user.DisplayName),
        new Claim(ClinicId, clinic.ClinicId.ToString()),
        new Claim(ClinicSlug, clinic.Slug),
        new Claim(ClinicName, clinic.Name),
        new Claim(TimeZone, clinic.TimeZone),
        new Claim(ClaimTypes.Role, clinic.Role),
    ], CookieAuthenticationDefaults.AuthenticationScheme));

    /// <summary>The signed-in person, as the cookie names them (to re-issue it for another clinic or new settings).</summary>
    public static StaffUser Person(this ClaimsPrincipal p) => new(p.UserId(), p.FindFirstValue(ClaimTypes.Email)!, p.Identity!.Name!);

    public static Guid UserId(this ClaimsPrincipal p) => Guid.Parse(p.FindFirstValue(ClaimTypes.NameIdentifier)!);
    public static DateTimeOffset Issued(this ClaimsPrincipal p) =>
        long.TryParse(p.FindFirstValue(IssuedAt), out var s) ? DateTimeOffset.FromUnixTimeSeconds(s) : DateTimeOffset.MinValue;
    public static bool OwesNewPassword(this ClaimsPrincipal p) => p.HasClaim(MustChangePassword, "true");

    /// <summary>
    /// Why this session is over, or null while it holds: older than SessionLifetime, stamp changed (password changed,
    /// signed out everywhere), no longer a member of its clinic, or a different role there. Checked on every request
    /// and every minute for open pages (StaffRevalidation).
    /// </summary>
    public static string? Ended(this ClaimsPrincipal p, StaffAccess? access, DateTimeOffset now)
    {
        if (now - p.Issued() > SessionLifetime) return "expired";
        if (access is null) return "no clinic";
        if (p.FindFirstValue(SecurityStamp) != access.SecurityStamp.ToString()) return "signed out everywhere or password changed";
        var current = access.Clinics.FirstOrDefault(c => c.ClinicId == p.Clinic());
        if (current is null) return "removed from the clinic";
        return p.IsInRole(current.Role) ? null : "role changed";
    }
    public static Guid Clinic(this ClaimsPrincipal p) => Guid.Parse(p.FindFirstValue(ClinicId)!);
    public static string ClinicTimeZone(this ClaimsPrincipal p) => p.FindFirstValue(TimeZone)!;

    /// <summary>How staff appear in the audit trail.</summary>
    public static string Actor(this ClaimsPrincipal p) => "staff:" + p.FindFirstValue(ClaimTypes.Email);
}
