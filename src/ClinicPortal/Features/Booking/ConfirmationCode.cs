using System.Security.Cryptography;

namespace ClinicPortal.Features.Booking;

/// <summary>Eight characters a caller can read out: no 0/O, 1/I/L. About 40 bits of randomness.</summary>
public static class ConfirmationCode
{
    private const string Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

    public static string New() => RandomNumberGenerator.GetString(Alphabet, 8);

    public static string Normalize(string spoken) => new(spoken.ToUpperInvariant().Where(char.IsLetterOrDigit).ToArray());
}
