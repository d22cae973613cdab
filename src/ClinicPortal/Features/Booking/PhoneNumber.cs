using System.Text.RegularExpressions;

namespace ClinicPortal.Features.Booking;

/// <summary>
/// Normalises a spoken or typed phone number to E.164. National numbers (leading 0) take the
/// country code of the clinic's own phone, since callers give local numbers.
/// </summary>
public static partial class PhoneNumber
{
    [GeneratedRegex(@"^\+[1-9][0-9]{7,14}$")]
    private static partial Regex E164();

    [GeneratedRegex(@"[\s\-().]")]
    private static partial Regex Separators();

    public static string? Normalize(string raw, string? clinicPhone)
    {
        var s = Separators().Replace(raw, "");
        if (s.StartsWith("00", StringComparison.Ordinal)) s = "+" + s[2..];
        else if (s.StartsWith('0') && CountryCode(clinicPhone) is { } cc) s = "+" + cc + s[1..];
        if (s.StartsWith("+440", StringComparison.Ordinal)) s = "+44" + s[4..]; // "+44 (0)20 ..." written out
        return E164().IsMatch(s) ? s : null;
    }

    private static string? CountryCode(string? clinicPhone) =>
        clinicPhone switch
        {
            null => null,
            _ when clinicPhone.StartsWith("+44", StringComparison.Ordinal) => "44",
            _ when clinicPhone.StartsWith("+353", StringComparison.Ordinal) => "353",
            _ when clinicPhone.StartsWith("+1", StringComparison.Ordinal) => "1",
            _ => null,
        };
}
