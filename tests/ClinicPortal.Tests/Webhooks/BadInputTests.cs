using System.Net;
using System.Text;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Webhooks;

[Collection(PortalCollection.Name)]
public sealed class BadInputTests(ClinicPortalFactory portal)
{
    /// <summary>Bodies that are not a Vapi server message at all.</summary>
    public static TheoryData<string, string> NotVapi => new()
    {
        { "not json", "{\"message\": " },
        { "not an object", "[1, 2]" },
        { "no message", "{\"type\": \"tool-calls\"}" },
        { "message is a string", "{\"message\": \"tool-calls\"}" },
        { "no type", "{\"message\": {\"toolCallList\": []}}" },
        { "type is a number", "{\"message\": {\"type\": 7}}" },
    };

    [Theory]
    [MemberData(nameof(NotVapi))]
    public async Task A_body_that_is_not_a_vapi_message_gets_400_with_a_problem_body_and_writes_nothing(string _, string body)
    {
        var clinic = await portal.CreateClinicAsync();
        using var client = clinic.Client();
        var response = await client.PostAsync("/api/vapi/webhook", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await AssertNothingWrittenAsync(clinic);
    }

    [Fact]
    public async Task A_body_that_is_not_json_at_all_gets_415()
    {
        var clinic = await portal.CreateClinicAsync();
        using var client = clinic.Client();
        var response = await client.PostAsync("/api/vapi/webhook", new StringContent("message=tool-calls", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await AssertNothingWrittenAsync(clinic);
    }

    /// <summary>A tool-calls message whose list cannot be read: 200, the list's problem in "error" (Vapi's answer shape), nothing run.</summary>
    public static TheoryData<string, string, string> UnreadableLists => new()
    {
        { "no tool call list", "{\"message\": {\"type\": \"tool-calls\"}}", "no toolCallList" },
        { "tool call list is an object", "{\"message\": {\"type\": \"tool-calls\", \"toolCallList\": {}}}", "no toolCallList" },
        { "empty tool call list", "{\"message\": {\"type\": \"tool-calls\", \"toolCallList\": []}}", "empty" },
        { "tool call without id", "{\"message\": {\"type\": \"tool-calls\", \"toolCallList\": [{\"function\": {\"name\": \"lookup_procedure\"}}]}}", "without a string id" },
        { "id is a number", "{\"message\": {\"type\": \"tool-calls\", \"toolCallList\": [{\"id\": 5, \"function\": {\"name\": \"lookup_procedure\"}}]}}", "without a string id" },
    };

    [Theory]
    [MemberData(nameof(UnreadableLists))]
    public async Task A_tool_call_list_that_cannot_be_read_gets_200_with_an_error_and_writes_nothing(string _, string body, string said)
    {
        var clinic = await portal.CreateClinicAsync();
        using var client = clinic.Client();
        var response = await client.PostAsync("/api/vapi/webhook", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(0, answer.GetProperty("results").GetArrayLength());
        Assert.Contains(said, answer.GetProperty("error").GetString());
        await AssertNothingWrittenAsync(clinic);
    }

    /// <summary>One call that cannot run gets its own error; the good call in the same message still runs.</summary>
    [Theory]
    [InlineData("{\"id\": \"bad\", \"type\": \"function\", \"function\": {}}", "names no function")]
    [InlineData("{\"id\": \"bad\", \"type\": \"function\", \"function\": {\"name\": \"book_appointment\", \"arguments\": [1]}}", "must be a JSON object")]
    [InlineData("{\"id\": \"bad\", \"type\": \"function\", \"function\": {\"name\": \"book_appointment\", \"arguments\": \"{nope\"}}", "not JSON")]
    [InlineData("{\"id\": \"bad\", \"type\": \"function\", \"function\": {\"name\": \"book_appointment\", \"arguments\": {\"provider\": \"dr-a\"}}}", "missing argument")]
    [InlineData("{\"id\": \"bad\", \"type\": \"function\", \"function\": {\"name\": \"lookup_procedure\", \"arguments\": {\"query\": \"botox\\u0000\"}}}", "NUL character")]
    public async Task One_bad_call_gets_its_own_error_and_the_others_in_the_message_still_run(string bad, string said)
    {
        var clinic = await portal.CreateClinicAsync();
        using var client = clinic.Client();
        var body = """{"message": {"type": "tool-calls", "call": {"id": "c"}, "toolCallList": [""" + bad + """
            , {"id": "good", "type": "function", "function": {"name": "lookup_procedure", "arguments": {"query": "botox"}}}]}}
            """;
        var response = await client.PostAsync("/api/vapi/webhook", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("results");
        Assert.Equal("bad", results[0].GetProperty("toolCallId").GetString());
        Assert.Contains(said, results[0].GetProperty("error").GetString());
        Assert.False(results[0].TryGetProperty("result", out _));
        Assert.Equal(("good", "lookup_procedure"), (results[1].GetProperty("toolCallId").GetString(), results[1].GetProperty("name").GetString()));
        Assert.Contains("Anti-wrinkle", results[1].GetProperty("result").GetString());
        Assert.Equal(0, await clinic.CountAsync("appointments"));
    }

    [Fact]
    public async Task A_tool_call_whose_id_holds_a_nul_character_gets_its_own_error_not_unavailable()
    {
        var clinic = await portal.CreateClinicAsync();
        using var client = clinic.Client();
        var body = """{"message": {"type": "tool-calls", "call": {"id": "c"}, "toolCallList": [{"id": "nul\u0000id", "type": "function", "function": {"name": "lookup_procedure", "arguments": {"query": "botox"}}}]}}""";
        var response = await client.PostAsync("/api/vapi/webhook", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entry = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("results")[0];
        Assert.Contains("U+0000", entry.GetProperty("error").GetString());
        Assert.Equal(0, await clinic.CountAsync("tool_calls"));
    }

    [Fact]
    public async Task A_server_message_holding_a_nul_character_gets_400_not_a_database_error()
    {
        var clinic = await portal.CreateClinicAsync();
        using var client = clinic.Client();
        var body = """{"message": {"type": "status-update", "status": "ended", "endedReason": "hang\u0000up", "call": {"id": "nul-call"}}}""";
        var response = await client.PostAsync("/api/vapi/webhook", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("U+0000", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await clinic.CountAsync("call_messages"));
    }

    [Fact]
    public async Task A_body_over_256_KB_gets_413_and_writes_nothing()
    {
        var clinic = await portal.CreateClinicAsync();
        using var client = clinic.Client();
        var body = "{\"message\": {\"type\": \"transcript\", \"transcript\": \"" + new string('a', 300 * 1024) + "\"}}";
        var response = await client.PostAsync("/api/vapi/webhook", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await AssertNothingWrittenAsync(clinic);
    }

    [Theory]
    [InlineData("{\"provider\": \"dr-a\", \"date\": \"2030-13-45\", \"time\": \"10:00\", \"patient_name\": \"A\", \"patient_phone\": \"+447700100001\"}", "date")]
    [InlineData("{\"provider\": \"dr-a\", \"date\": \"next friday\", \"time\": \"10:00\", \"patient_name\": \"A\", \"patient_phone\": \"+447700100001\"}", "date")]
    [InlineData("{\"provider\": \"dr-a\", \"date\": \"2030-01-07\", \"time\": \"25:00\", \"patient_name\": \"A\", \"patient_phone\": \"+447700100001\"}", "time")]
    [InlineData("{\"provider\": 12, \"date\": \"2030-01-07\", \"time\": \"10:00\", \"patient_name\": \"A\", \"patient_phone\": \"+447700100001\"}", "provider")]
    [InlineData("{\"provider\": \"dr-a\", \"date\": \"2030-01-07\", \"time\": \"10:00\", \"patient_phone\": \"+447700100001\"}", "patient_name")]
    public async Task Unusable_tool_arguments_get_an_error_entry_for_that_call_and_write_nothing(string arguments, string named)
    {
        var clinic = await portal.CreateClinicAsync();
        var entry = await clinic.SendToolCallAsync("book_appointment", System.Text.Json.JsonDocument.Parse(arguments).RootElement);
        Assert.False(entry.TryGetProperty("result", out _));
        Assert.Contains(named, entry.GetProperty("error").GetString());
        await AssertNothingWrittenAsync(clinic);
    }

    [Fact]
    public async Task Other_message_types_get_an_empty_object_and_are_recorded()
    {
        var clinic = await portal.CreateClinicAsync();
        using var client = clinic.Client();
        var body = "{\"message\": {\"type\": \"status-update\", \"status\": \"in-progress\", \"call\": {\"id\": \"call-9\", \"customer\": {\"number\": \"+447700100321\"}}}}";
        var response = await client.PostAsync("/api/vapi/webhook", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, await clinic.CountAsync("call_messages", "call_id = 'call-9' and status = 'in-progress' and customer_phone = '+447700100321'"));
    }

    [Fact]
    public async Task An_unknown_tool_gets_an_error_entry_and_the_other_calls_still_run()
    {
        var clinic = await portal.CreateClinicAsync();
        using var client = clinic.Client();
        var body = """
            {"message": {"type": "tool-calls", "call": {"id": "c"}, "toolCallList": [
              {"id": "x1", "type": "function", "function": {"name": "teleport", "arguments": {}}},
              {"id": "x2", "type": "function", "function": {"name": "lookup_procedure", "arguments": "{\"query\": \"botox\"}"}}]}}
            """;
        var response = await client.PostAsync("/api/vapi/webhook", new StringContent(body, Encoding.UTF8, "application/json"));
        var results = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("results");
        Assert.Contains("teleport", results[0].GetProperty("error").GetString());
        Assert.Equal("x2", results[1].GetProperty("toolCallId").GetString());
        Assert.Contains("Anti-wrinkle", results[1].GetProperty("result").GetString());
    }

    private static async Task AssertNothingWrittenAsync(TestClinic clinic)
    {
        foreach (var table in new[] { "appointments", "patients", "tool_calls", "call_messages", "audit_log", "events" })
            Assert.Equal(0, await clinic.CountAsync(table));
    }
}
