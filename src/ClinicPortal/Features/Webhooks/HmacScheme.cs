using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ClinicPortal.Features.Webhooks;

/// <summary>What checking a signed request found.</summary>
public enum SignatureCheck { Valid, Mismatch, Missing, Stale, Ahead }

/// <summary>
/// One HMAC credential, as in Vapi's HMACAuthenticationPlan: the sender signs the payload format (default
/// "{timestamp}.{body}", with {method} and {url} also allowed) with the secret, and sends the signature (hex or base64,
/// after an optional prefix such as "sha256=") and the timestamp in two headers. The body is signed as the raw bytes
/// that arrived; the comparison takes constant time. A timestamp more than 5 minutes old or 1 minute ahead is refused.
/// </summary>
public sealed record HmacScheme(string Algorithm, byte[] Key, string SignatureHeader, string TimestampHeader, string PayloadFormat,
    string Encoding, string? Prefix)
{
    public const string DefaultSignatureHeader = "x-signature";
    public const string DefaultTimestampHeader = "x-timestamp";
    public const string DefaultPayloadFormat = "{timestamp}.{body}";
    public static readonly string[] Algorithms = ["sha256", "sha512", "sha1"];
    public static readonly string[] Encodings = ["hex", "base64"];
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxAhead = TimeSpan.FromMinutes(1);

    /// <summary>Why these settings cannot make a credential, or null (the database checks the same).</summary>
    public static string? Problem(string algorithm, string signatureHeader, string timestampHeader, string payloadFormat, string encoding,
        string? prefix)
    {
        if (!Algorithms.Contains(algorithm)) return "the algorithm must be sha256, sha512 or sha1";
        if (!Encodings.Contains(encoding)) return "the signature encoding must be hex or base64";
        if (!IsHeaderName(signatureHeader) || !IsHeaderName(timestampHeader))
            return "header names are 1 to 64 letters, digits or hyphens";
        if (payloadFormat.Length > 200) return "the payload format may be at most 200 characters";
        if (Count(payloadFormat, "{body}") != 1 || !payloadFormat.Contains("{timestamp}"))
            return "the payload format must contain {body} once and {timestamp} (so a captured request cannot be replayed)";
        var rest = payloadFormat.Replace("{body}", "").Replace("{timestamp}", "").Replace("{method}", "").Replace("{url}", "");
        if (rest.Contains('{')) return "the payload format may use only {timestamp}, {body}, {method} and {url}";
        if (prefix is { Length: > 32 }) return "the signature prefix may be at most 32 characters";
        return null;
    }

    public static bool IsHeaderName(string? name) =>
        name is { Length: >= 1 and <= 64 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    /// <summary>Checks the request's signature over its raw body; url is the address the sender signed ({url}).</summary>
    public SignatureCheck Check(IHeaderDictionary headers, ReadOnlySpan<byte> body, string method, string url, DateTimeOffset now)
    {
        var signatureText = headers[SignatureHeader].ToString();
        var timestampText = headers[TimestampHeader].ToString();
        if (signatureText.Length == 0 || timestampText.Length == 0) return SignatureCheck.Missing;
        if (ParseTimestamp(timestampText) is not { } sent) return SignatureCheck.Mismatch;
        if (now - sent > MaxAge) return SignatureCheck.Stale;
        if (sent - now > MaxAhead) return SignatureCheck.Ahead;
        if (Prefix is { Length: > 0 })
        {
            if (!signatureText.StartsWith(Prefix, StringComparison.Ordinal)) return SignatureCheck.Mismatch;
            signatureText = signatureText[Prefix.Length..];
        }
        if (Decode(signatureText.Trim()) is not { } presented) return SignatureCheck.Mismatch;
        var expected = Sign(body, timestampText, method, url);
        return CryptographicOperations.FixedTimeEquals(expected, presented) ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }

    /// <summary>The MAC of the payload: the format's text around {body}, and the body's bytes between, never copied together.</summary>
    private byte[] Sign(ReadOnlySpan<byte> body, string timestamp, string method, string url)
    {
        var filled = PayloadFormat.Replace("{timestamp}", timestamp).Replace("{method}", method).Replace("{url}", url);
        var at = filled.IndexOf("{body}", StringComparison.Ordinal);
        using var mac = IncrementalHash.CreateHMAC(Algorithm switch
        {
            "sha512" => HashAlgorithmName.SHA512,
            "sha1" => HashAlgorithmName.SHA1,
            _ => HashAlgorithmName.SHA256,
        }, Key);
        mac.AppendData(System.Text.Encoding.UTF8.GetBytes(filled[..at]));
        mac.AppendData(body);
        mac.AppendData(System.Text.Encoding.UTF8.GetBytes(filled[(at + "{body}".Length)..]));
        return mac.GetHashAndReset();
    }

    private byte[]? Decode(string text)
    {
        try
        {
            return Encoding == "base64" ? Convert.FromBase64String(text) : Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Unix seconds, Unix milliseconds (13 digits or more), or an ISO 8601 time with its offset.</summary>
    public static DateTimeOffset? ParseTimestamp(string text)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            try
            {
                return text.Length >= 13 ? DateTimeOffset.FromUnixTimeMilliseconds(number) : DateTimeOffset.FromUnixTimeSeconds(number);
            }
            catch (ArgumentOutOfRangeException)
            {
                return null;
            }
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
    }

    private static int Count(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
