using Twilio.Security;

namespace ClinicPortal.Features.Messages;

/// <summary>Twilio's request signature (X-Twilio-Signature), checked with the Twilio SDK's RequestValidator.</summary>
public static class TwilioSignature
{
    /// <summary>
    /// Whether the signature is Twilio's for this URL and form, keyed with the auth token (the SDK compares in
    /// constant time, and accepts the URL with or without the scheme's default port). A missing signature is invalid.
    /// </summary>
    public static bool IsValid(string authToken, string url, IFormCollection form, string? signature)
    {
        if (signature is not { Length: > 0 }) return false;
        var parameters = new System.Collections.Specialized.NameValueCollection();
        foreach (var (name, values) in form)
            foreach (var value in values) parameters.Add(name, value);
        return new RequestValidator(authToken).Validate(url, parameters, signature);
    }

    /// <summary>
    /// The URL Twilio signed: Portal:PublicBaseUrl (what Twilio was given, whatever proxy sits in front)
    /// with this request's path and query, or this request's own URL when no public address is set.
    /// </summary>
    public static string RequestUrl(HttpRequest request, IConfiguration config) =>
        (config["Portal:PublicBaseUrl"] is { Length: > 0 } configured
            ? configured.TrimEnd('/')
            : $"{request.Scheme}://{request.Host}{request.PathBase}") + request.Path + request.QueryString;
}
