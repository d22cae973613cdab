using System.Net;
using System.Text;
using System.Text.Json;
using ClinicPortal.Features.Webhooks;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Webhooks;

/// <summary>Vapi's other server messages, in Vapi's shapes (docs/vapi.md), and the shape of each answer.</summary>
[Collection(PortalCollection.Name)]
public sealed class ServerMessageTests(ClinicPortalFactory portal)
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("""{"message": {"type": "speech-update", "status": "started", "role": "assistant", "call": {"id": "obs-1"}}}""")]
    [InlineData("""{"message": {"type": "conversation-update", "messages": [{"role": "user", "message": "hello"}], "call": {"id": "obs-1"}}}""")]
    [InlineData("""{"message": {"type": "model-output", "output": "Let me check", "call": {"id": "obs-1"}}}""")]
    [InlineData("""{"message": {"type": "user-interrupted", "call": {"id": "obs-1"}}}""")]
    [InlineData("""{"message": {"type": "voice-input", "input": "Hello", "call": {"id": "obs-1"}}}""")]
    public async Task Observe_only_messages_get_an_empty_object_are_counted_and_write_nothing(string body)
    {
        var clinic = await portal.CreateClinicAsync();
        var counts = portal.Services.GetRequiredService<VapiMessageCounts>();
        var type = JsonDocument.Parse(body).RootElement.GetProperty("message").GetProperty("type").GetString()!;
        var before = counts.Snapshot().GetValueOrDefault(type);
        using var client = clinic.Client();

        var response = await client.PostAsync("/api/vapi/webhook", Json(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync());
        Assert.True(counts.Snapshot()[type] > before);
        Assert.Equal(0L, await clinic.CountAsync("call_messages"));
        Assert.Equal(0L, await clinic.CountAsync("calls"));
    }

    [Fact]
    public async Task An_end_of_call_report_may_be_up_to_5_MB_and_other_messages_256_KB()
    {
        var clinic = await portal.CreateClinicAsync();
        using var client = clinic.Client();
        string Report(int kilobytes) => """{"message": {"type": "end-of-call-report", "endedReason": "customer-ended-call", "call": {"id": "big-1"}, "transcript": """
                                        + JsonSerializer.Serialize(new string('a', kilobytes * 1024)) + "}}";

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/vapi/webhook", Json(Report(1024)))).StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync("/api/vapi/webhook", Json(Report(5 * 1024 + 1)))).StatusCode);
        var update = """{"message": {"type": "status-update", "status": "in-progress", "call": {"id": "big-2"}, "padding": """
                     + JsonSerializer.Serialize(new string('a', 300 * 1024)) + "}}";
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync("/api/vapi/webhook", Json(update))).StatusCode);
        Assert.Equal(1L, await clinic.CountAsync("calls", "call_id = 'big-1' and status = 'ended'"));
        Assert.Equal(0L, await clinic.CountAsync("calls", "call_id = 'big-2'"));
    }

    [Fact]
    public async Task A_report_without_durationSeconds_gets_the_time_from_start_to_end()
    {
        var clinic = await portal.CreateClinicAsync();
        await clinic.SendMessageAsync(new
        {
            type = "end-of-call-report", endedReason = "customer-ended-call", startedAt = "2026-11-29T10:00:00.000Z", endedAt = "2026-11-29T10:02:05.500Z",
            call = new { id = "dur-1" },
        });
        Assert.Equal(1L, await clinic.CountAsync("calls", "call_id = 'dur-1' and duration_seconds = 125.5"));
    }

    [Fact]
    public async Task A_transfer_update_shows_the_call_as_transferred()
    {
        var clinic = await portal.CreateClinicAsync();
        await clinic.SendMessageAsync(new { type = "status-update", status = "in-progress", call = new { id = "tr-1" } });
        await clinic.SendMessageAsync(new
        {
            type = "transfer-update", call = new { id = "tr-1" }, destination = new { type = "number", number = "+442079460999" },
        });
        Assert.Equal(1L, await clinic.CountAsync("calls", "call_id = 'tr-1' and status = 'forwarding'"));
    }

    [Fact]
    public async Task The_legacy_function_call_message_is_answered_with_a_result()
    {
        var clinic = await portal.CreateClinicAsync();
        using var client = clinic.Client();
        var response = await client.PostAsync("/api/vapi/webhook", Json("""
            {"message": {"type": "function-call", "call": {"id": "fc-1"},
                         "functionCall": {"name": "lookup_procedure", "parameters": {"query": "chemical peel"}}}}
            """));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(["result"], answer.EnumerateObject().Select(p => p.Name));
        Assert.Contains("Chemical peel", answer.GetProperty("result").GetString());

        var unknown = await client.PostAsync("/api/vapi/webhook", Json("""
            {"message": {"type": "function-call", "functionCall": {"name": "teleport", "parameters": {}}}}
            """));
        Assert.Contains("unknown tool", JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetString());
    }

    private static async Task<JsonElement> AnswerAsync(TestClinic clinic, string message)
    {
        using var client = clinic.Client();
        var response = await client.PostAsync("/api/vapi/webhook", Json(message));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private static string KnowledgeRequest(string lastUserMessage) => """
        {"message": {"type": "knowledge-base-request", "call": {"id": "kb-1"}, "messages": [
          {"role": "assistant", "message": "Hello, Test clinic, how can I help?"},
          {"role": "user", "message": "I was wondering about botox"},
          {"role": "assistant", "message": "Of course."},
          {"role": "user", "message": LAST}]}}
        """.Replace("LAST", JsonSerializer.Serialize(lastUserMessage));

    [Fact]
    public async Task A_knowledge_base_request_gets_the_procedure_the_callers_last_message_is_about()
    {
        var clinic = await portal.CreateClinicAsync();
        var answer = await AnswerAsync(clinic, KnowledgeRequest("and how much is the lip filler?"));

        var document = Assert.Single(answer.GetProperty("documents").EnumerateArray());
        Assert.Equal(["content", "similarity", "uuid"], document.EnumerateObject().Select(p => p.Name).Order());
        Assert.StartsWith("Lip filler:", document.GetProperty("content").GetString());
        Assert.Contains("£300-£450", document.GetProperty("content").GetString());
        Assert.InRange(document.GetProperty("similarity").GetDouble(), 0.65, 1.0);
    }

    [Fact]
    public async Task A_knowledge_base_request_about_nothing_the_clinic_offers_gets_no_documents_and_never_another_clinics()
    {
        var clinic = await portal.CreateClinicAsync();
        var other = await portal.CreateClinicAsync();
        await using (var su = portal.Superuser())
            await su.ExecAsync("""
                select set_config('app.clinic_id', @Id::text, false);
                insert into procedures (clinic_id, name, duration_minutes, description) values (@Id, 'Zygomatic sculpting', 60, 'Only the other clinic does this.');
                """, new { other.Id });

        Assert.Equal(0, (await AnswerAsync(clinic, KnowledgeRequest("what is the weather tomorrow"))).GetProperty("documents").GetArrayLength());
        Assert.Equal(0, (await AnswerAsync(clinic, KnowledgeRequest("zygomatic sculpting please"))).GetProperty("documents").GetArrayLength());
        Assert.Single((await AnswerAsync(other, KnowledgeRequest("zygomatic sculpting please"))).GetProperty("documents").EnumerateArray());
    }

    [Fact]
    public async Task A_transfer_destination_request_gets_the_clinics_number_is_audited_and_shows_on_the_calls_board()
    {
        var clinic = await portal.CreateClinicAsync();
        const string request = """{"message": {"type": "transfer-destination-request", "call": {"id": "xfer-1"}}}""";

        var destination = (await AnswerAsync(clinic, request)).GetProperty("destination");
        Assert.Equal("number", destination.GetProperty("type").GetString());
        Assert.Equal("+442079460999", destination.GetProperty("number").GetString()); // the clinic's phone, by default
        Assert.Contains("Transferring you", destination.GetProperty("message").GetString());
        Assert.Equal(1L, await clinic.CountAsync("audit_log", "action = 'call.transfer_requested' and subject_id = 'xfer-1'"));
        Assert.Equal(1L, await clinic.CountAsync("calls", "call_id = 'xfer-1' and status = 'forwarding'"));

        await using (var su = portal.Superuser())
            await su.ExecAsync("update clinics set transfer_phone = '+442079460123' where id = @Id", new { clinic.Id });
        Assert.Equal("+442079460123", (await AnswerAsync(clinic, request)).GetProperty("destination").GetProperty("number").GetString());
    }

    [Fact]
    public async Task A_clinic_with_no_number_answers_a_transfer_request_with_an_error_the_agent_can_say()
    {
        var clinic = await portal.CreateClinicAsync();
        await using (var su = portal.Superuser())
            await su.ExecAsync("update clinics set phone = null where id = @Id", new { clinic.Id });
        var answer = await AnswerAsync(clinic, """{"message": {"type": "transfer-destination-request", "call": {"id": "xfer-2"}}}""");
        Assert.Equal(["error"], answer.EnumerateObject().Select(p => p.Name));
        Assert.Contains("take a message", answer.GetProperty("error").GetString());
    }
}
