using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ClinicPortal.Features.Clinics;
using ClinicPortal.Features.Demo;
using ClinicPortal.Infrastructure.Database;
using ClinicPortal.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace ClinicPortal.Tests.Support;

[CollectionDefinition(Name)]
public sealed class PortalCollection : ICollectionFixture<ClinicPortalFactory>
{
    public const string Name = "portal";
}

/// <summary>
/// Tests that measure latency against their budgets (the release verdict): run after every parallel collection, on an
/// otherwise idle machine, so the two cores are not shared with the rest of the suite.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection : ICollectionFixture<ClinicPortalFactory>
{
    public const string Name = "alone";
}

/// <summary>The real app over HTTP on the test cluster, with intent methods for the tests.</summary>
public sealed class ClinicPortalFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public EmbeddedPostgres Database { get; private set; } = null!;

    /// <summary>Twilio on loopback, shared by every portal the tests start (they share one outbox).</summary>
    public FakeTwilio Twilio { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.GetAsync();
        Twilio = await TestDatabase.TwilioAsync();
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Clinic", Database.AppConnectionString);
        builder.UseSetting("ConnectionStrings:ClinicOwner", Database.OwnerConnectionString);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Notes:Keys:test1", TestDatabase.NotesKey);
        builder.UseSetting("Notes:CurrentKey", "test1");
        foreach (var (key, value) in TestDatabase.TwilioSettings(Twilio).Concat(TestDatabase.PortalSettings)) builder.UseSetting(key, value);
    }

    /// <summary>A fresh clinic of its own for a test: two providers open 07:00-20:00 every day.</summary>
    public async Task<TestClinic> CreateClinicAsync(IReadOnlyList<WorkingDay>? hours = null, int minNoticeMinutes = 60)
    {
        var slug = "t-" + Guid.NewGuid().ToString("N")[..12];
        var secret = "secret-" + Guid.NewGuid().ToString("N");
        hours ??= Enumerable.Range(1, 7).Select(d => new WorkingDay(d, new TimeOnly(7, 0), new TimeOnly(20, 0))).ToList();
        var spec = new ClinicSpec(slug, "Test clinic " + slug, "Europe/London", "+442079460999", minNoticeMinutes,
            [new ProviderSpec("dr-a", "Dr Ada A", "General", hours), new ProviderSpec("dr-b", "Dr Bo B", "General", hours)],
            DemoSeed.Procedures, [secret]);
        var id = await ClinicSetup.EnsureClinicAsync(Database.OwnerConnectionString, spec);
        return new TestClinic(this, id, slug, secret);
    }

    /// <summary>A connection that sees everything (superuser): for checking what the app wrote.</summary>
    public NpgsqlConnection Superuser() => new(Database.SuperuserConnectionString);

    public async Task<long> CountAsync(string sql, object? param = null)
    {
        await using var conn = Superuser();
        return await conn.ScalarAsync<long>(sql, param);
    }
}

/// <summary>A test's own clinic: send Vapi messages with its credential and read what happened.</summary>
public sealed record TestClinic(ClinicPortalFactory Factory, Guid Id, string Slug, string Secret)
{
    private static int _sequence;

    public static string NewToolCallId() => "call_" + Interlocked.Increment(ref _sequence) + "_" + Guid.NewGuid().ToString("N")[..8];

    public HttpClient Client()
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Secret);
        return client;
    }

    /// <summary>Sends one tool call and returns its parsed result (or throws with the error entry).</summary>
    public async Task<JsonElement> CallToolAsync(string name, object arguments, string? toolCallId = null, string callId = "test-call",
        HttpClient? client = null)
    {
        var entry = await SendToolCallAsync(name, arguments, toolCallId, callId, client);
        if (!entry.TryGetProperty("result", out var result))
            throw new InvalidOperationException("tool call answered with an error: " + entry);
        return JsonDocument.Parse(result.GetString()!).RootElement;
    }

    /// <summary>Sends one tool call and returns its raw entry from "results".</summary>
    public async Task<JsonElement> SendToolCallAsync(string name, object arguments, string? toolCallId = null, string callId = "test-call",
        HttpClient? client = null)
    {
        var owned = client is null;
        client ??= Client();
        try
        {
            var response = await client.PostAsJsonAsync("/api/vapi/webhook", ToolCallsMessage(name, arguments, toolCallId ?? NewToolCallId(), callId));
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            return body.GetProperty("results")[0];
        }
        finally
        {
            if (owned) client.Dispose();
        }
    }

    public static object ToolCallsMessage(string name, object arguments, string toolCallId, string callId = "test-call") => new
    {
        message = new
        {
            type = "tool-calls",
            call = new { id = callId },
            toolCallList = new[] { new { id = toolCallId, type = "function", function = new { name, arguments } } },
        },
    };

    public Task<JsonElement> BookAsync(string provider, string date, string time, string? procedure = null, string phone = "+447700100001",
        string? toolCallId = null, HttpClient? client = null) =>
        CallToolAsync("book_appointment", new { provider, date, time, procedure, patient_name = "Pat Test", patient_phone = phone }, toolCallId,
            client: client);

    /// <summary>Posts one Vapi server message (status update, end-of-call report, ...).</summary>
    public async Task SendMessageAsync(object message)
    {
        using var client = Client();
        (await client.PostAsJsonAsync("/api/vapi/webhook", new { message })).EnsureSuccessStatusCode();
    }

    /// <summary>Vapi's end-of-call report for a call from this number (null: the number was withheld).</summary>
    public Task EndCallAsync(string callId, string? callerPhone, object? structuredData = null) => SendMessageAsync(new
    {
        type = "end-of-call-report", endedReason = "customer-ended-call", durationSeconds = 95.0,
        call = new { id = callId, customer = callerPhone is null ? null : new { number = callerPhone } },
        transcript = "AI: Riverside clinic, how can I help? User: How much is it? AI: Let me check.",
        analysis = new { summary = "Caller asked about prices and did not book.", structuredData },
    });

    public Task<long> CountAsync(string table, string where = "true") =>
        Factory.CountAsync($"select count(*) from {table} where clinic_id = @Id and {where}", new { Id });

    /// <summary>Time off for a provider, from and to in clinic time on the date, written in SQL behind the portal's back.</summary>
    public async Task AddTimeOffInSqlAsync(string provider, string date, string from, string to)
    {
        await using var su = Factory.Superuser();
        await su.ExecAsync("""
            insert into time_off (clinic_id, provider_id, starts_at, ends_at, reason)
            select p.clinic_id, p.id, (@date::date + @from::time) at time zone c.time_zone, (@date::date + @to::time) at time zone c.time_zone, 'training'
              from providers p join clinics c on c.id = p.clinic_id where p.clinic_id = @Id and p.slug = @provider
            """, new { Id, provider, date, from, to });
    }
}

public static class Phones
{
    private static int _next = Random.Shared.Next(100_000);

    /// <summary>A UK mobile number no other test uses in this run (the browser tests' patients are in +4477013…).</summary>
    public static string Unique() => "+4477012" + (Interlocked.Increment(ref _next) % 100_000).ToString("D5");
}

public static class Dates
{
    /// <summary>A date (yyyy-MM-dd) on the given weekday at least `weeks` weeks from now.</summary>
    /// <summary>Working hours every day, 00:00-23:59: any time a test picks is open.</summary>
    public static readonly IReadOnlyList<ClinicPortal.Features.Clinics.WorkingDay> AroundTheClock =
        [.. Enumerable.Range(1, 7).Select(d => new ClinicPortal.Features.Clinics.WorkingDay(d, new TimeOnly(0, 0), new TimeOnly(23, 59)))];

    public static string Upcoming(DayOfWeek day, int weeks = 3)
    {
        var d = DateTime.UtcNow.Date.AddDays(7 * weeks);
        while (d.DayOfWeek != day) d = d.AddDays(1);
        return d.ToString("yyyy-MM-dd");
    }
}
