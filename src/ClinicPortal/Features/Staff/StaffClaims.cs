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

    public static ClaimsPrincipal Create(StaffUser user, Membership clinic) => new(new ClaimsIdentity(
    [
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
    public static Guid Clinic(this ClaimsPrincipal p) => Guid.Parse(p.FindFirstValue(ClinicId)!);
    public static string ClinicTimeZone(this ClaimsPrincipal p) => p.FindFirstValue(TimeZone)!;

    /// <summary>How staff appear in the audit trail.</summary>
    public static string Actor(this ClaimsPrincipal p) => "staff:" + p.FindFirstValue(ClaimTypes.Email);
}
