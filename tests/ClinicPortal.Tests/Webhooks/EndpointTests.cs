using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClinicPortal.Features.Demo;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Webhooks;

[Collection(PortalCollection.Name)]
public sealed class EndpointTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task The_tool_definitions_describe_every_tool_with_a_json_schema()
    {
        using var client = portal.CreateClient();
        var tools = await client.GetFromJsonAsync<JsonElement>("/api/vapi/tools");
        var names = tools.EnumerateArray().Select(t => t.GetProperty("function").GetProperty("name").GetString()).ToList();
        Assert.Equal(["check_availability", "book_appointment", "cancel_appointment", "reschedule_appointment", "lookup_procedure"], names);
        Assert.All(tools.EnumerateArray(), t =>
        {
            Assert.Equal("function", t.GetProperty("type").GetString());
            Assert.Equal("object", t.GetProperty("function").GetProperty("parameters").GetProperty("type").GetString());
        });
    }

    [Fact]
    public async Task Each_tool_call_keeps_its_outcome_in_a_column_of_its_own()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Wednesday);

        await clinic.BookAsync("dr-a", date, "10:00");
        await clinic.BookAsync("dr-a", date, "10:00", phone: "+447700100002"); // taken
        await clinic.CallToolAsync("lookup_procedure", new { query = "lip filler" });

        Assert.Equal(1, await clinic.CountAsync("tool_calls", "tool_name = 'book_appointment' and outcome = 'booked'"));
        Assert.Equal(1, await clinic.CountAsync("tool_calls", "tool_name = 'book_appointment' and outcome = 'conflict'"));
        Assert.Equal(1, await clinic.CountAsync("tool_calls", "tool_name = 'lookup_procedure' and outcome = 'ok'"));
    }

    [Fact]
    public async Task Health_reports_live_and_ready_with_every_migration_applied()
    {
        using var client = portal.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }
}
