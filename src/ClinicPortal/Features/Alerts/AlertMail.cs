using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace ClinicPortal.Features.Alerts;

/// <summary>
/// Smtp:* settings (docs/operations.md): Host (no host, no email), Port (587), Security (Auto, None, StartTls or
/// SslOnConnect), Username and Password (optional), From.
/// </summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 587;
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;
    public string? Username { get; set; }
    public string? Password { get; set; }
    public string From { get; set; } = "ClinicPortal <alerts@clinicportal.invalid>";
}

/// <summary>Sends alerts by email through MailKit when Smtp:Host is configured; otherwise does nothing.</summary>
public sealed class AlertMail(Microsoft.Extensions.Options.IOptions<SmtpOptions> options, ILogger<AlertMail> log)
{
    private readonly SmtpOptions _smtp = options.Value;

    public bool Configured => !string.IsNullOrWhiteSpace(_smtp.Host);

    /// <summary>One message to each address, over one connection; false (and logged) when the server could not take it.</summary>
    public async Task<bool> SendAsync(IReadOnlyCollection<string> to, string subject, string body, CancellationToken ct = default)
    {
        if (!Configured || to.Count == 0) return false;
        try
        {
            using var client = new SmtpClient { Timeout = 15_000 };
            await client.ConnectAsync(_smtp.Host!, _smtp.Port, _smtp.Security, ct);
            if (!string.IsNullOrEmpty(_smtp.Username)) await client.AuthenticateAsync(_smtp.Username, _smtp.Password ?? "", ct);
            foreach (var address in to)
            {
                var message = new MimeMessage { Subject = subject, Body = new TextPart("plain") { Text = body } };
                message.From.Add(MailboxAddress.Parse(_smtp.From));
                message.To.Add(MailboxAddress.Parse(address));
                await client.SendAsync(message, ct);
            }
            await client.DisconnectAsync(true, ct);
            return true;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or SmtpCommandException or SmtpProtocolException
                                      or AuthenticationException or SslHandshakeException or ParseException or TimeoutException)
        {
            log.LogWarning(e, "Could not email an alert through {Host}:{Port}", _smtp.Host, _smtp.Port);
            return false;
        }
    }
}
