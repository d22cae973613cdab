using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace ClinicPortal.Features.Messages;

/// <summary>Twilio settings (section "Twilio"). Without AccountSid, AuthToken and FromNumber nothing is sent.</summary>
public sealed class TwilioOptions
{
    public string BaseUrl { get; set; } = "https://api.twilio.com";
    public string? AccountSid { get; set; }
    public string? AuthToken { get; set; }
    public string? FromNumber { get; set; }
    /// <summary>How long one request to Twilio may take; a timeout counts as "may have been accepted".</summary>
    public double TimeoutSeconds { get; set; } = 10;

    public bool Configured => !string.IsNullOrWhiteSpace(AccountSid) && !string.IsNullOrWhiteSpace(AuthToken) && !string.IsNullOrWhiteSpace(FromNumber);
}

/// <summary>What Twilio answered to "create a message".</summary>
public abstract record TwilioSend
{
    public sealed record Accepted(string Sid, string Status) : TwilioSend;
    /// <summary>Twilio refused it and said why (its error body: code and message).</summary>
    public sealed record Refused(int HttpStatus, int? Code, string Message) : TwilioSend
    {
        /// <summary>Rate limits and Twilio's own failures pass; anything else about the request or number will not.</summary>
        public bool Transient => HttpStatus is 429 or >= 500 || Code == 20429;
    }
    /// <summary>No answer (timeout, connection failure): Twilio may or may not have created the message.</summary>
    public sealed record NoAnswer(string Reason) : TwilioSend;
}

/// <summary>
/// Twilio's REST API (2010-04-01) through a typed HttpClient: form-encoded POST to create a message,
/// GET of the message list to find one sent earlier, HTTP Basic with the account SID and auth token.
/// </summary>
public sealed class TwilioClient(HttpClient http, IOptions<TwilioOptions> options)
{
    private TwilioOptions O => options.Value;

    public static void Configure(HttpClient http, TwilioOptions o)
    {
        http.BaseAddress = new Uri(o.BaseUrl.TrimEnd('/') + "/");
        http.Timeout = TimeSpan.FromSeconds(o.TimeoutSeconds);
        if (o.Configured)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(o.AccountSid + ":" + o.AuthToken)));
    }

    private string MessagesPath => $"2010-04-01/Accounts/{Uri.EscapeDataString(O.AccountSid!)}/Messages.json";

    public async Task<TwilioSend> SendAsync(string to, string body, string? statusCallback, CancellationToken ct)
    {
        var form = new List<KeyValuePair<string, string>> { new("To", to), new("From", O.FromNumber!), new("Body", body) };
        if (statusCallback is not null) form.Add(new("StatusCallback", statusCallback));
        try
        {
            using var response = await http.PostAsync(MessagesPath, new FormUrlEncodedContent(form), ct);
            var json = await ReadJsonAsync(response, ct);
            if (response.IsSuccessStatusCode && Text(json, "sid") is { } sid) return new TwilioSend.Accepted(sid, Text(json, "status") ?? "queued");
            return Refusal(response.StatusCode, json);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new TwilioSend.NoAnswer(e is TaskCanceledException ? $"no answer within {O.TimeoutSeconds:0.#} s" : e.Message);
        }
    }

    /// <summary>
    /// Twilio's record of a message to this number whose body carries the ref, if it has one: the
    /// newest page of messages from our number to theirs (newest first), which is where an attempt of
    /// the last minutes is. Throws when Twilio cannot be asked, so the caller does not send blind.
    /// </summary>
    public async Task<(string Sid, string Status)?> FindAsync(string to, string reference, CancellationToken ct)
    {
        var query = $"?To={Uri.EscapeDataString(to)}&From={Uri.EscapeDataString(O.FromNumber!)}&PageSize=100";
        using var response = await http.GetAsync(MessagesPath + query, ct);
        var json = await ReadJsonAsync(response, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"Twilio's message list answered {(int)response.StatusCode}: {Text(json, "message")}");
        if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw new HttpRequestException("Twilio's message list had no messages array");
        foreach (var m in messages.EnumerateArray())
            if (Text(m, "body") is { } body && body.Contains(reference, StringComparison.Ordinal) && Text(m, "sid") is { } sid)
                return (sid, Text(m, "status") ?? "sent");
        return null;
    }

    private static TwilioSend.Refused Refusal(HttpStatusCode status, JsonElement json) => new((int)status,
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : null,
        Text(json, "message") ?? $"Twilio answered {(int)status}");

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try { return JsonDocument.Parse(text).RootElement; }
        catch (JsonException) { return default; }
    }

    private static string? Text(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
