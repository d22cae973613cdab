namespace ClinicPortal.Features.Staff;

/// <summary>
/// What a new password must be (NIST SP 800-63B): at least 12 characters, not the account's email address (or its name
/// part), and not one of the passwords attackers try first. No rules about character classes: length is what counts.
/// </summary>
public static class PasswordPolicy
{
    public const int MinimumLength = 12;

    // Long enough to pass the length rule, and still among the first that password sprayers try.
    private static readonly HashSet<string> Common = new(StringComparer.OrdinalIgnoreCase)
    {
        "password1234", "password12345", "password123456", "passwordpassword", "password1234!", "password123!",
        "123456789012", "1234567890123", "12345678901234", "123456123456", "111111111111", "000000000000",
        "qwertyuiop12", "qwertyuiop123", "qwerty123456", "qwertyqwerty", "1q2w3e4r5t6y", "1qaz2wsx3edc", "zaq12wsxcde3",
        "iloveyou1234", "letmein12345", "welcome12345", "welcome123456", "changeme1234", "administrator", "admin1234567",
        "abc123456789", "abcdefghijkl", "aaaaaaaaaaaa", "football1234", "baseball1234", "superman1234", "trustno11234",
        "monkey123456", "sunshine1234", "princess1234", "dragon123456", "master123456", "starwars1234", "whatever1234",
        "passw0rd1234", "p@ssw0rd1234", "p@ssword1234", "clinicportal", "clinicportal1", "clinicportal123",
        "summer2026!!", "winter2026!!", "autumn2026!!", "spring2026!!", "january2026!", "december2026",
    };

    /// <summary>Why the password is refused, or null when it is acceptable.</summary>
    public static string? Refusal(string? password, string email)
    {
        if (string.IsNullOrEmpty(password) || password.Length < MinimumLength)
            return $"Use at least {MinimumLength} characters (a few unrelated words make a strong one).";
        var normalised = email.Trim();
        var local = normalised.Split('@')[0];
        if (password.Equals(normalised, StringComparison.OrdinalIgnoreCase) || password.Equals(local, StringComparison.OrdinalIgnoreCase))
            return "The password cannot be your email address.";
        if (Common.Contains(password)) return "That password is one of the first that attackers try: choose another.";
        return null;
    }
}
