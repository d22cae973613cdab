using System.Security.Cryptography;
using System.Text;

namespace ClinicPortal.Features.Messages;

/// <summary>
/// Twilio's request signature (X-Twilio-Signature): HMAC-SHA1, keyed with the auth token, of the full URL
/// Twilio called followed by every POST parameter's name and value, sorted by name; base64.
/// </summary>
public static class TwilioSignature
{
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal))
            data.Append(name).Append(value);
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    /// <summary>Constant-time comparison with what the request says; a missing signature is invalid.</summary>
    public static bool IsValid(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form, string? signature) =>
        signature is { Length: > 0 } &&
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(Compute(authToken, url, form)), Encoding.UTF8.GetBytes(signature));

    /// <summary>
    /// The URL Twilio signed: Portal:PublicBaseUrl (what Twilio was given, whatever proxy sits in front)
    /// with this request's path and query, or this request's own URL when no public address is set.
    /// </summary>
    public static string RequestUrl(HttpRequest request, IConfiguration config) =>
        (config["Portal:PublicBaseUrl"] is { Length: > 0 } configured
            ? configured.TrimEnd('/')
            : $"{request.Scheme}://{request.Host}{request.PathBase}") + request.Path + request.QueryString;
}
