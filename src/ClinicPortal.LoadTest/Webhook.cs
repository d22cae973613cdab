using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ClinicPortal.LoadTest;

/// <summary>Sends Vapi tool-call messages to a running portal, as Vapi does, and times them.</summary>
public sealed class Webhook(string baseUrl, string secret, int connections) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", secret) },
        Timeout = TimeSpan.FromSeconds(30),
    };

    public sealed record Answer(string Status, JsonElement Result, double Milliseconds);

    public Task<Answer> BookAsync(string provider, string date, string time, string phone, string? procedure = "Consultation",
        string patient = "Load Test") =>
        ToolAsync("book_appointment", new { provider, date, time, procedure, patient_name = patient, patient_phone = phone });

    /// <summary>One tool call as Vapi sends it: the status of its result (or "error: …", "http NNN") and the time taken.</summary>
    public async Task<Answer> ToolAsync(string name, object arguments)
    {
        var id = "lt-" + Guid.NewGuid().ToString("N");
        var message = new
        {
            message = new
            {
                type = "tool-calls", call = new { id = "loadtest" },
                toolCallList = new[] { new { id, type = "function", function = new { name, arguments } } },
            },
        };
        var started = Stopwatch.GetTimestamp();
        using var response = await _http.PostAsJsonAsync("api/vapi/webhook", message);
        var body = await response.Content.ReadAsStringAsync();
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (!response.IsSuccessStatusCode) return new Answer($"http {(int)response.StatusCode}", default, ms);
        var entry = JsonDocument.Parse(body).RootElement.GetProperty("results")[0];
        if (!entry.TryGetProperty("result", out var result)) return new Answer("error: " + entry.GetProperty("error").GetString(), default, ms);
        var parsed = JsonDocument.Parse(result.GetString()!).RootElement;
        return new Answer(parsed.GetProperty("status").GetString()!, parsed, ms);
    }

    public void Dispose() => _http.Dispose();
}
