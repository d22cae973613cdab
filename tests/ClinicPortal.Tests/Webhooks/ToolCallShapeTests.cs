using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ClinicPortal.Features.Webhooks;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClinicPortal.Tests.Webhooks;

/// <summary>Every shape in which Vapi sends tool calls (docs/vapi.md), and the answer's shape: toolCallId, name, result or error.</summary>
[Collection(PortalCollection.Name)]
public sealed class ToolCallShapeTests(ClinicPortalFactory portal)
{
    private const string Lookup = """{"query": "lip filler"}""";

    // ARGS is the arguments object, QUOTED the same as a JSON string.
    public static TheoryData<string, string> Shapes => new()
    {
        { "toolCallList, arguments object", With("""{"type": "tool-calls", "toolCallList": [{"id": "t1", "type": "function", "function": {"name": "lookup_procedure", "arguments": ARGS}}]}""") },
        { "toolCallList, arguments string", With("""{"type": "tool-calls", "toolCallList": [{"id": "t1", "type": "function", "function": {"name": "lookup_procedure", "arguments": QUOTED}}]}""") },
        { "toolCallList, parameters object", With("""{"type": "tool-calls", "toolCallList": [{"id": "t1", "type": "function", "function": {"name": "lookup_procedure", "parameters": ARGS}}]}""") },
        { "toolCallList, flattened", With("""{"type": "tool-calls", "toolCallList": [{"id": "t1", "name": "lookup_procedure", "arguments": ARGS}]}""") },
        { "toolWithToolCallList", With("""{"type": "tool-calls", "toolWithToolCallList": [{"type": "function", "function": {"name": "lookup_procedure"}, "toolCall": {"id": "t1", "type": "function", "function": {"name": "lookup_procedure", "parameters": ARGS}}}]}""") },
        { "toolCalls", With("""{"type": "tool-calls", "toolCalls": [{"id": "t1", "type": "function", "function": {"name": "lookup_procedure", "arguments": QUOTED}}]}""") },
    };

    private static string With(string message) => message.Replace("QUOTED", JsonSerializer.Serialize(Lookup)).Replace("ARGS", Lookup);

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Each_shape_runs_the_call_and_the_answer_names_the_call_and_the_tool(string shape, string message)
    {
        var clinic = await portal.CreateClinicAsync();
        using var client = clinic.Client();
        var response = await client.PostAsync("/api/vapi/webhook", new StringContent("{\"message\": " + message + "}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.False(answer.TryGetProperty("error", out _), shape);
        var entry = Assert.Single(answer.GetProperty("results").EnumerateArray());
        Assert.Equal(["name", "result", "toolCallId"], entry.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(("t1", "lookup_procedure"), (entry.GetProperty("toolCallId").GetString(), entry.GetProperty("name").GetString()));
        Assert.Contains("Lip filler", entry.GetProperty("result").GetString());
    }

    /// <summary>The database goes away mid-call: each tool call says so, in words the assistant can pass on, and the answer is still 200.</summary>
    [Fact]
    public async Task When_the_database_is_unreachable_each_tool_call_says_the_system_is_temporarily_unavailable()
    {
        var db = await TestDatabase.OwnDatabaseAsync("db_down");
        await ClinicPortal.Infrastructure.Database.Migrator.MigrateAsync(db.Owner, NullLogger.Instance);
        var secret = "secret-" + Guid.NewGuid().ToString("N");
        await ClinicPortal.Features.Clinics.ClinicSetup.EnsureClinicAsync(db.Owner, new ClinicPortal.Features.Clinics.ClinicSpec("down", "Down clinic",
            "Europe/London", null, 60, [], ClinicPortal.Features.Demo.DemoSeed.Procedures, [secret]));
        await using var portalOnIt = db.Portal(("DataProtection:Key", TestDatabase.DataProtectionKey));
        using var client = portalOnIt.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        var message = """
            {"message": {"type": "tool-calls", "call": {"id": "c"}, "toolCallList": [
              {"id": "a", "type": "function", "function": {"name": "lookup_procedure", "arguments": {"query": "botox"}}},
              {"id": "b", "type": "function", "function": {"name": "check_availability", "arguments": {"date": "2030-01-07"}}}]}}
            """;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/vapi/webhook", new StringContent(message, Encoding.UTF8, "application/json"))).StatusCode);

        // The runtime role can no longer connect to this database, and its open connections are cut.
        await using (var su = new Npgsql.NpgsqlConnection(db.Superuser))
        {
            var name = new Npgsql.NpgsqlConnectionStringBuilder(db.App).Database!;
            await su.ExecAsync($"revoke connect on database {name} from public, clinic_app");
            await su.ExecAsync("select pg_terminate_backend(pid) from pg_stat_activity where datname = @name and usename = 'clinic_app'", new { name });
        }

        var response = await client.PostAsync("/api/vapi/webhook", new StringContent(message, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        Assert.All(results.EnumerateArray(), r => Assert.Equal(ToolRunner.Unavailable, r.GetProperty("error").GetString()));
    }
}
