using Microsoft.Extensions.Options;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;
using HttpClient = System.Net.Http.HttpClient;

namespace ClinicPortal.Features.Messages;

/// <summary>Twilio settings (section "Twilio"). Without AccountSid, AuthToken and FromNumber or MessagingServiceSid nothing is sent.</summary>
public sealed class TwilioOptions
{
    /// <summary>Where Twilio's API is reached: Twilio itself, or a loopback fake in tests and benchmarks.</summary>
    public string BaseUrl { get; set; } = "https://api.twilio.com";
    public string? AccountSid { get; set; }
    public string? AuthToken { get; set; }
    public string? FromNumber { get; set; }
    /// <summary>A Messaging Service to send from instead of FromNumber (its sender pool, Advanced Opt-Out, ...).</summary>
    public string? MessagingServiceSid { get; set; }
    /// <summary>How long one request to Twilio may take; a timeout counts as "may have been accepted".</summary>
    public double TimeoutSeconds { get; set; } = 10;

    public bool Configured => !string.IsNullOrWhiteSpace(AccountSid) && !string.IsNullOrWhiteSpace(AuthToken)
                              && (!string.IsNullOrWhiteSpace(FromNumber) || !string.IsNullOrWhiteSpace(MessagingServiceSid));
}

/// <summary>What Twilio answered to "create a message".</summary>
public abstract record TwilioSend
{
    public sealed record Accepted(string Sid, string Status) : TwilioSend;
    /// <summary>Twilio refused it and said why (its error body: code and message).</summary>
    public sealed record Refused(int HttpStatus, int? Code, string Message) : TwilioSend
    {
        /// <summary>
        /// Rate limits, full queues (21611: the sender's queue is full; 30001: queue overflow) and Twilio's own failures pass;
        /// anything else about the request or number will not.
        /// </summary>
        public bool Transient => HttpStatus is 429 or >= 500 || Code is 20429 or 21611 or 30001;
    }
    /// <summary>No answer (timeout, connection failure): Twilio may or may not have created the message.</summary>
    public sealed record NoAnswer(string Reason) : TwilioSend;
}

/// <summary>
/// Twilio's Messages API through the Twilio SDK, on our typed HttpClient (its timeout, and the base-URL handler
/// below, so tests and benchmarks reach a loopback fake). Outcomes come back as TwilioSend; the outbox, leases,
/// retries and the send-once look-up stay ours (SmsDispatcher).
/// </summary>
public sealed class TwilioClient(HttpClient http, IOptions<TwilioOptions> options)
{
    private TwilioOptions O => options.Value;

    private TwilioRestClient Rest() => new(O.AccountSid, O.AuthToken, httpClient: new SystemNetHttpClient(http));

    public async Task<TwilioSend> SendAsync(string to, string body, string? statusCallback, CancellationToken ct)
    {
        var create = new CreateMessageOptions(new Twilio.Types.PhoneNumber(to)) { Body = body };
        if (!string.IsNullOrWhiteSpace(O.MessagingServiceSid)) create.MessagingServiceSid = O.MessagingServiceSid;
        else create.From = new Twilio.Types.PhoneNumber(O.FromNumber);
        if (statusCallback is not null) create.StatusCallback = new Uri(statusCallback);
        try
        {
            // The SDK takes no cancellation token: the HttpClient's timeout bounds the request, ct only stops our wait.
            var message = await MessageResource.CreateAsync(create, Rest()).WaitAsync(ct);
            return new TwilioSend.Accepted(message.Sid, message.Status?.ToString() ?? "queued");
        }
        catch (ApiConnectionException e)
        {
            return new TwilioSend.NoAnswer(e.InnerException is TaskCanceledException ? $"no answer within {O.TimeoutSeconds:0.#} s" : e.Message);
        }
        catch (ApiException e) when (e.Status == 0)
        {
            // An error answer without Twilio's error body (a proxy's page, say): whether Twilio created the message is unknown.
            return new TwilioSend.NoAnswer(e.Message);
        }
        catch (ApiException e)
        {
            return new TwilioSend.Refused(e.Status, e.Code == 0 ? null : e.Code, e.Message);
        }
    }

    /// <summary>
    /// Twilio's record of a message to this number whose body carries the ref, if it has one: the newest page of
    /// messages from our number to theirs (newest first), which is where an attempt of the last minutes is. Throws
    /// HttpRequestException when Twilio cannot be asked, so the caller does not send blind.
    /// </summary>
    public async Task<(string Sid, string Status)?> FindAsync(string to, string reference, CancellationToken ct)
    {
        // From a Messaging Service the sender varies: then every message to the number is looked at.
        var read = new ReadMessageOptions { To = new Twilio.Types.PhoneNumber(to), PageSize = 100, Limit = 100 };
        if (string.IsNullOrWhiteSpace(O.MessagingServiceSid)) read.From = new Twilio.Types.PhoneNumber(O.FromNumber);
        try
        {
            var page = await MessageResource.ReadAsync(read, Rest()).WaitAsync(ct);
            foreach (var m in page)
                if (m.Body?.Contains(reference, StringComparison.Ordinal) == true) return (m.Sid, m.Status?.ToString() ?? "sent");
            return null;
        }
        catch (TwilioException e)
        {
            throw new HttpRequestException("Twilio's message list could not be read: " + e.Message, e);
        }
    }
}

/// <summary>
/// The SDK always addresses https://api.twilio.com; this points its requests at Twilio:BaseUrl instead (scheme,
/// host, port and any path prefix), which is Twilio itself unless a fake or a proxy is configured.
/// </summary>
public sealed class TwilioBaseUrlHandler(IOptions<TwilioOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var target = new Uri(options.Value.BaseUrl);
        if (request.RequestUri is { } uri)
            request.RequestUri = new UriBuilder(uri)
            {
                Scheme = target.Scheme, Host = target.Host, Port = target.Port, Path = target.AbsolutePath.TrimEnd('/') + uri.AbsolutePath,
            }.Uri;
        return base.SendAsync(request, ct);
    }
}
