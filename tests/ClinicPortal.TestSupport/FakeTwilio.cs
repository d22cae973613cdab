using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClinicPortal.TestSupport;

/// <summary>
/// Twilio's Messages API on loopback, for the tests and the benchmark: the same paths, HTTP Basic with
/// the account SID and auth token, form-encoded requests, 201 with the message resource (sid, status),
/// Twilio's error body (code, message, more_info, status) and the newest-first message list. What it
/// answers for a number can be scripted: errors, slow answers, an answer that never comes.
/// </summary>
public sealed partial class FakeTwilio : IAsyncDisposable
{
    public const string AccountSid = "AC00000000000000000000000000fake";
    public const string AuthToken = "fake-twilio-auth-token";
    public const string FromNumber = "+15005550006";

    public sealed record Message(string Sid, string To, string From, string Body, string? StatusCallback, DateTime CreatedAt, long Timestamp,
        string? MessagingServiceSid = null);

    /// <summary>What the fake does with one create request for a number.</summary>
    public abstract record Behaviour
    {
        /// <summary>Twilio's error answer (nothing is created).</summary>
        public sealed record Refuse(int HttpStatus, int Code, string Message) : Behaviour;
        /// <summary>Creates the message, then answers only after the delay (the client may have given up).</summary>
        public sealed record AcceptSlowly(TimeSpan Delay) : Behaviour;
        /// <summary>Creates the message, then answers when the test says so (while it does something the send must overlap).</summary>
        public sealed record AcceptWhen(Task Answer) : Behaviour;
    }

    public static Behaviour ServerError => new Behaviour.Refuse(503, 20500, "Service Unavailable");
    public static Behaviour TooManyRequests => new Behaviour.Refuse(429, 20429, "Too Many Requests");
    public static Behaviour InvalidNumber => new Behaviour.Refuse(400, 21211, "The 'To' number is not a valid phone number.");

    private readonly WebApplication _app;
    private readonly List<Message> _messages = [];
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Behaviour>> _scripts = new();
    private readonly ConcurrentDictionary<string, int> _posts = new();
    private readonly ConcurrentDictionary<string, bool> _unsubscribed = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public string BaseUrl { get; private set; } = "";

    private FakeTwilio(WebApplication app) => _app = app;

    public static async Task<FakeTwilio> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeTwilio(app);
        var messages = app.MapGroup("/2010-04-01/Accounts/{sid}/Messages.json");
        messages.MapPost("", fake.CreateAsync);
        messages.MapGet("", fake.List);
        await app.StartAsync();
        fake.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return fake;
    }

    /// <summary>The next create requests for this number get these answers, in order; then it accepts again.</summary>
    public void Script(string to, params Behaviour[] behaviours)
    {
        var queue = _scripts.GetOrAdd(to, _ => new());
        foreach (var b in behaviours) queue.Enqueue(b);
    }

    /// <summary>Twilio's own opt-out list: sends to this number get error 21610.</summary>
    public void Unsubscribe(string to) => _unsubscribed[to] = true;

    public IReadOnlyList<Message> MessagesTo(string to)
    {
        lock (_messages) return _messages.Where(m => m.To == to).ToList();
    }

    public IReadOnlyList<Message> All()
    {
        lock (_messages) return _messages.ToList();
    }

    /// <summary>Create requests received for the number, accepted or not.</summary>
    public int Posts(string to) => _posts.GetValueOrDefault(to);

    /// <summary>Waits until the number has at least `count` messages; returns them.</summary>
    public async Task<IReadOnlyList<Message>> WaitForAsync(string to, int count = 1, double seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (MessagesTo(to) is var got && got.Count < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{got.Count} of {count} text messages to {to} arrived in {seconds} s");
            await _arrived.WaitAsync(TimeSpan.FromMilliseconds(50));
        }
        return MessagesTo(to);
    }

    private bool Authorized(HttpRequest request, string sid) =>
        sid == AccountSid && request.Headers.Authorization.ToString() ==
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(AccountSid + ":" + AuthToken));

    private static IResult Error(int status, int code, string message) => Results.Json(new
    {
        code, message, more_info = $"https://www.twilio.com/docs/errors/{code}", status,
    }, statusCode: status);

    private async Task<IResult> CreateAsync(HttpRequest request, string sid)
    {
        if (!Authorized(request, sid)) return Error(401, 20003, "Authenticate");
        if (!request.HasFormContentType) return Error(400, 21601, "Request is not form-encoded");
        var form = await request.ReadFormAsync();
        var to = form["To"].ToString();
        var service = form["MessagingServiceSid"].ToString();
        var from = form["From"].ToString() is { Length: > 0 } given ? given : service.Length > 0 ? FromNumber : ""; // the service's sender
        var body = form["Body"].ToString();
        _posts.AddOrUpdate(to, 1, (_, n) => n + 1);
        if (to.Length == 0) return Error(400, 21604, "A 'To' phone number is required.");
        if (from.Length == 0) return Error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.");
        if (body.Length == 0) return Error(400, 21602, "Message body is required.");
        if (!E164().IsMatch(to)) return Error(400, 21211, $"The 'To' number {to} is not a valid phone number.");
        if (_unsubscribed.ContainsKey(to)) return Error(400, 21610, "Attempt to send to unsubscribed recipient");

        Behaviour? behaviour = _scripts.TryGetValue(to, out var queue) && queue.TryDequeue(out var b) ? b : null;
        if (behaviour is Behaviour.Refuse r) return Error(r.HttpStatus, r.Code, r.Message);
        var message = new Message("SM" + Guid.NewGuid().ToString("N"), to, from, body, form["StatusCallback"].ToString() is { Length: > 0 } cb ? cb : null,
            DateTime.UtcNow, Stopwatch.GetTimestamp(), service.Length > 0 ? service : null);
        lock (_messages) _messages.Add(message);
        _arrived.Release();
        if (behaviour is Behaviour.AcceptSlowly slow) await Task.Delay(slow.Delay);
        if (behaviour is Behaviour.AcceptWhen gate) await gate.Answer;
        return Results.Json(Resource(message), statusCode: 201);
    }

    private IResult List(HttpRequest request, string sid)
    {
        if (!Authorized(request, sid)) return Error(401, 20003, "Authenticate");
        var to = request.Query["To"].ToString();
        var from = request.Query["From"].ToString();
        var size = int.TryParse(request.Query["PageSize"], out var n) ? Math.Clamp(n, 1, 1000) : 50;
        List<Message> page;
        lock (_messages)
            page = _messages.Where(m => (to.Length == 0 || m.To == to) && (from.Length == 0 || m.From == from))
                .OrderByDescending(m => m.Timestamp).Take(size).ToList();
        var uri = $"/2010-04-01/Accounts/{sid}/Messages.json?PageSize={size}";
        return Results.Json(new
        {
            messages = page.Select(Resource), end = Math.Max(0, page.Count - 1), first_page_uri = uri + "&Page=0", next_page_uri = (string?)null,
            page = 0, page_size = size, previous_page_uri = (string?)null, start = 0, uri,
        });
    }

    private static object Resource(Message m) => new
    {
        account_sid = AccountSid, api_version = "2010-04-01", body = m.Body, date_created = m.CreatedAt.ToString("R"),
        date_sent = (string?)null, date_updated = m.CreatedAt.ToString("R"), direction = "outbound-api", error_code = (int?)null,
        error_message = (string?)null, from = m.From, messaging_service_sid = (string?)null, num_media = "0",
        num_segments = ((m.Body.Length - 1) / 153 + 1).ToString(), price = (string?)null, price_unit = "USD", sid = m.Sid, status = "queued",
        to = m.To, uri = $"/2010-04-01/Accounts/{AccountSid}/Messages/{m.Sid}.json",
    };

    /// <summary>
    /// What Twilio puts in X-Twilio-Signature when it calls us back: HMAC-SHA1, keyed with the auth token, of the
    /// full URL followed by every POST parameter's name and value sorted by name; base64.
    /// </summary>
    public static string Sign(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal))
            data.Append(name).Append(value);
        return Convert.ToBase64String(System.Security.Cryptography.HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{7,14}$")]
    private static partial Regex E164();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
