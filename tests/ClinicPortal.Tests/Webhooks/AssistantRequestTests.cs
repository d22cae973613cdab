using System.Net;
using System.Text;
using System.Text.Json;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Webhooks;

/// <summary>assistant-request (docs/vapi.md): a saved assistant's id, a transient assistant built from the clinic's data, or an error.</summary>
[Collection(PortalCollection.Name)]
public sealed class AssistantRequestTests(ClinicPortalFactory portal)
{
    private const string Request = """{"message": {"type": "assistant-request", "call": {"id": "ar-1", "customer": {"number": "+447700100555"}}}}""";

    private static async Task<JsonElement> AskAsync(TestClinic clinic)
    {
        using var client = clinic.Client();
        var response = await client.PostAsync("/api/vapi/webhook", new StringContent(Request, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [Fact]
    public async Task Without_a_saved_assistant_the_clinic_gets_one_built_from_its_own_data()
    {
        var clinic = await portal.CreateClinicAsync();
        var assistant = (await AskAsync(clinic)).GetProperty("assistant");

        Assert.Contains("Test clinic " + clinic.Slug, assistant.GetProperty("firstMessage").GetString());
        var model = assistant.GetProperty("model");
        Assert.Equal(("openai", "gpt-4o"), (model.GetProperty("provider").GetString(), model.GetProperty("model").GetString()));
        var prompt = model.GetProperty("messages")[0];
        Assert.Equal("system", prompt.GetProperty("role").GetString());
        var text = prompt.GetProperty("content").GetString()!;
        foreach (var expected in new[] { "Test clinic " + clinic.Slug, "Europe/London", "Today is", "Dr Ada A (General)", "Dr Bo B", "Lip filler (45 min)",
                     "Monday 07:00-20:00", "never invent a price", "phone number", "alternatives" })
            Assert.Contains(expected, text);
        var tools = model.GetProperty("tools").EnumerateArray().ToList();
        Assert.Equal(["book_appointment", "cancel_appointment", "check_availability", "lookup_procedure", "reschedule_appointment"],
            tools.Select(t => t.GetProperty("function").GetProperty("name").GetString()).Order());
        Assert.All(tools, t => Assert.EndsWith("/api/vapi/webhook", t.GetProperty("server").GetProperty("url").GetString()));
        Assert.Equal(["end-of-call-report", "hang", "knowledge-base-request", "status-update", "tool-calls", "transfer-destination-request", "transfer-update"],
            assistant.GetProperty("serverMessages").EnumerateArray().Select(m => m.GetString()).Order());
        Assert.False(string.IsNullOrEmpty(assistant.GetProperty("voice").GetProperty("voiceId").GetString()));
    }

    [Fact]
    public async Task A_saved_assistant_is_named_by_its_id_and_a_clinic_whose_agent_is_off_gets_an_error()
    {
        var clinic = await portal.CreateClinicAsync();
        await using (var su = portal.Superuser())
            await su.ExecAsync("update clinics set vapi_assistant_id = 'asst_123', vapi_credential_id = 'cred_9' where id = @Id", new { clinic.Id });
        var saved = await AskAsync(clinic);
        Assert.Equal(["assistantId"], saved.EnumerateObject().Select(p => p.Name));
        Assert.Equal("asst_123", saved.GetProperty("assistantId").GetString());

        await using (var su = portal.Superuser())
            await su.ExecAsync("update clinics set voice_enabled = false where id = @Id", new { clinic.Id });
        var off = await AskAsync(clinic);
        Assert.Equal(["error"], off.EnumerateObject().Select(p => p.Name));
        Assert.Contains("not taking calls", off.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Admins_read_the_assistant_at_api_vapi_assistant_and_staff_may_not()
    {
        var clinic = await portal.CreateClinicAsync();
        using var admin = StaffSession.Open(portal);
        await admin.SignInAsync(await StaffSession.NewAccountAsync(portal, clinic, "admin"));
        var answer = JsonDocument.Parse(await admin.Client.GetStringAsync("/api/vapi/assistant")).RootElement;
        Assert.Contains("Test clinic " + clinic.Slug, answer.GetProperty("assistant").GetProperty("firstMessage").GetString());

        using var staff = StaffSession.Open(portal);
        await staff.SignInAsync(await StaffSession.NewAccountAsync(portal, clinic, "staff"));
        Assert.NotEqual(HttpStatusCode.OK, (await staff.Client.GetAsync("/api/vapi/assistant")).StatusCode);
    }
}
