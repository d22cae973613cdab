using ClinicPortal.Features.Booking;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using NodaTime;

namespace ClinicPortal.Features.Messages;

/// <summary>
/// The words of each text message, and the portal's public address for their links
/// (Portal:PublicBaseUrl; without it, the address this instance listens on). "{ref}" marks where the
/// database puts the message's ref (0008_messages.sql); a confirmation's link carries "{token}" instead, which only the
/// sender fills in (LinkTokens), so the stored body never holds a working link.
/// </summary>
public sealed class SmsTexts(IConfiguration config, IServer? server = null)
{
    public const string OptOut = "Reply STOP to opt out.";

    public string PublicBaseUrl =>
        (config["Portal:PublicBaseUrl"] is { Length: > 0 } configured ? configured
            : server?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost").TrimEnd('/');

    public string FollowUp(PublicClinic clinic, ProcedureMention? procedure)
    {
        var call = clinic.Phone is { } phone ? $"call us on {phone}" : "call us back";
        return procedure is null
            ? $"Thanks for calling {clinic.Name}. To book an appointment, {call}. Our treatments: {PublicBaseUrl}/i/{clinic.Slug}?r={{ref}} {OptOut}"
            : $"Thanks for calling {clinic.Name}. About {procedure.Name}: {PublicBaseUrl}/i/{clinic.Slug}/{procedure.Id}?r={{ref}} To book, {call}. {OptOut}";
    }

    public string Confirmation(ClinicInfo clinic, string provider, Instant starts) =>
        $"{clinic.Name}: please confirm your appointment with {provider} on " +
        $"{starts.InZone(clinic.Zone).ToString("ddd d MMM 'at' HH:mm", System.Globalization.CultureInfo.InvariantCulture)}: " +
        $"{PublicBaseUrl}/c/{LinkTokens.Placeholder} {OptOut}";
}

public sealed record PublicClinic(Guid Id, string Slug, string Name, string? Phone);

public sealed record ProcedureMention(Guid Id, string Name);
