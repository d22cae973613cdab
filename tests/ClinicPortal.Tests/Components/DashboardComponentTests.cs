using System.Text.Json;
using Bunit;
using ClinicPortal.Features.Dashboard;
using ClinicPortal.Features.Events;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClinicPortal.Tests.Components;

[Collection(PortalCollection.Name)]
public sealed class DashboardComponentTests(ClinicPortalFactory portal)
{
    private static ClinicEvent Booking(Guid clinic, long id, string patient) => new(id, clinic, "booking", DateTime.UtcNow,
        JsonDocument.Parse(JsonSerializer.Serialize(new
        {
            patient_name = patient, provider = "dr-a", provider_name = "Dr Ada A", starts_at = DateTime.UtcNow.AddDays(3), source = "voice",
        })).RootElement);

    [Fact]
    public async Task A_firing_alert_shows_as_a_banner_when_its_event_arrives_and_goes_when_it_resolves()
    {
        var clinic = await portal.CreateClinicAsync();
        var bus = new ClinicEventBus(NullLogger<ClinicEventBus>.Instance);
        await using var ctx = ComponentContext.For(portal, clinic, bus: bus);
        var cut = ctx.Render<Dashboard>();
        cut.WaitForAssertion(() => Assert.Equal(1, bus.SubscriberCount(clinic.Id)));
        Assert.Empty(cut.FindAll("[data-testid=alert-webhook_p95]"));
        var alert = JsonDocument.Parse("{\"rule\": \"webhook_p95\"}").RootElement;

        await using (var su = portal.Superuser())
            await su.ExecAsync("insert into alerts (clinic_id, rule, threshold, value, summary) values (@Id, 'webhook_p95', 500, 910, 'Webhook p95 910 ms over the last 5 min')",
                new { clinic.Id });
        await bus.PublishAsync(new ClinicEvent(long.MaxValue - 1, clinic.Id, EventKinds.Alert, DateTime.UtcNow, alert));
        cut.WaitForAssertion(() => Assert.Contains("Webhook p95 910 ms", cut.Find("[data-testid=alert-webhook_p95]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=activity] li")); // an alert is not an appointment's activity

        await using (var su = portal.Superuser())
            await su.ExecAsync("update alerts set resolved_at = now() where clinic_id = @Id", new { clinic.Id });
        await bus.PublishAsync(new ClinicEvent(long.MaxValue, clinic.Id, EventKinds.Alert, DateTime.UtcNow, alert));
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=alert-webhook_p95]")));
    }

    [Fact]
    public async Task An_event_pushed_into_the_notifier_renders_in_the_live_feed_of_that_clinic_only()
    {
        var clinic = await portal.CreateClinicAsync();
        var other = await portal.CreateClinicAsync();
        var bus = new ClinicEventBus(NullLogger<ClinicEventBus>.Instance);
        await using var ctx = ComponentContext.For(portal, clinic, bus: bus);
        var cut = ctx.Render<Dashboard>();
        cut.WaitForAssertion(() => Assert.Equal(1, bus.SubscriberCount(clinic.Id)));

        await bus.PublishAsync(Booking(other.Id, long.MaxValue - 1, "Not Mine"));
        await bus.PublishAsync(Booking(clinic.Id, long.MaxValue, "Pushed Patient"));

        cut.WaitForAssertion(() => Assert.Contains("Pushed Patient", cut.Find("[data-testid=activity]").TextContent));
        Assert.DoesNotContain("Not Mine", cut.Markup);
        Assert.Contains("fresh", cut.Find("[data-event-id]").ClassName);
    }

    [Fact]
    public async Task A_disposed_dashboard_unsubscribes()
    {
        var clinic = await portal.CreateClinicAsync();
        var bus = new ClinicEventBus(NullLogger<ClinicEventBus>.Instance);
        await using var ctx = ComponentContext.For(portal, clinic, bus: bus);
        var cut = ctx.Render<Dashboard>();
        cut.WaitForAssertion(() => Assert.Equal(1, bus.SubscriberCount(clinic.Id)));

        await ctx.DisposeComponentsAsync();

        Assert.Equal(0, bus.SubscriberCount(clinic.Id));
        await bus.PublishAsync(Booking(clinic.Id, 1, "Nobody Listening")); // must not throw or reach a disposed component
    }

    [Fact]
    public async Task A_lost_race_shows_in_the_collisions_feed_with_the_alternatives_offered()
    {
        var clinic = await portal.CreateClinicAsync();
        await using var ctx = ComponentContext.For(portal, clinic, bus: portal.Services.GetRequiredService<ClinicEventBus>());
        var cut = ctx.Render<Dashboard>();
        var date = Dates.Upcoming(DayOfWeek.Monday);

        await clinic.BookAsync("dr-a", date, "10:00", phone: "+447700100601");
        var lost = await clinic.CallToolAsync("book_appointment",
            new { provider = "dr-a", date, time = "10:00", patient_name = "Late Caller", patient_phone = "+447700100602" });

        Assert.Equal("conflict", lost.GetProperty("status").GetString());
        cut.WaitForAssertion(() =>
        {
            var collisions = cut.Find("[data-testid=collisions]").TextContent;
            Assert.Contains("Late Caller", collisions);
            Assert.Contains("Offered instead", collisions);
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_calls_board_shows_a_transferred_call_and_how_often_the_assistant_kept_a_caller_waiting_as_vapi_reports_it()
    {
        var clinic = await portal.CreateClinicAsync();
        await using var ctx = ComponentContext.For(portal, clinic, bus: portal.Services.GetRequiredService<ClinicEventBus>());
        var cut = ctx.Render<Dashboard>();

        await clinic.SendMessageAsync(new { type = "status-update", status = "in-progress", call = new { id = "board-1", customer = new { number = "+447700900111" } } });
        await clinic.SendMessageAsync(new { type = "hang", call = new { id = "board-1" } });
        await clinic.SendMessageAsync(new { type = "hang", call = new { id = "board-1" } });
        await clinic.SendMessageAsync(new { type = "transfer-update", call = new { id = "board-2" }, destination = new { type = "number", number = "+442079460999" } });

        cut.WaitForAssertion(() =>
        {
            var calls = cut.Find("[data-testid=calls]").TextContent;
            Assert.Contains("Kept waiting 2 times", calls);
            Assert.Contains("Transferred", calls);
            Assert.Contains("…111", calls);
        }, TimeSpan.FromSeconds(10));
        Assert.Equal(1L, await clinic.CountAsync("calls", "call_id = 'board-1' and hangs = 2 and status = 'in-progress' and last_hang_at is not null"));
        Assert.Equal(2L, await clinic.CountAsync("call_messages", "call_id = 'board-1' and message_type = 'hang'"));
    }

    [Fact]
    public async Task Todays_row_is_highlighted_when_an_event_about_it_arrives()
    {
        var clinic = await portal.CreateClinicAsync();
        var id = Guid.NewGuid();
        await using (var su = portal.Superuser())
        {
            await su.OpenAsync();
            await su.ExecAsync("""
                select set_config('app.clinic_id', @clinic, false);
                select * from book_appointment(null, null, 'test', 'staff', @id, 'TODAYAAA', (select id from providers where clinic_id = @clinic::uuid and slug = 'dr-a'),
                    null, date_trunc('day', now() at time zone 'Europe/London') at time zone 'Europe/London' + interval '12 hours',
                    date_trunc('day', now() at time zone 'Europe/London') at time zone 'Europe/London' + interval '12 hours 30 minutes',
                    date_trunc('day', now() at time zone 'Europe/London') at time zone 'Europe/London' + interval '12 hours 30 minutes',
                    'Today Person', '+447700100888', null, '{}', '', '');
                """, new { clinic = clinic.Id.ToString(), id });
        }
        var bus = new ClinicEventBus(NullLogger<ClinicEventBus>.Instance);
        await using var ctx = ComponentContext.For(portal, clinic, bus: bus);
        var cut = ctx.Render<Dashboard>();
        cut.WaitForAssertion(() => Assert.Equal(1, bus.SubscriberCount(clinic.Id)));
        Assert.Empty(cut.FindAll("[data-testid=today] tr.fresh"));

        await bus.PublishAsync(new ClinicEvent(long.MaxValue, clinic.Id, "status", DateTime.UtcNow,
            JsonDocument.Parse(JsonSerializer.Serialize(new { appointment_id = id, status = "confirmed", patient_name = "Today Person" })).RootElement));

        cut.WaitForAssertion(() => Assert.Contains("Today Person", cut.Find("[data-testid=today] tr.fresh").TextContent));
    }

    [Fact]
    public async Task The_calls_board_shows_a_call_on_the_line_then_its_outcome()
    {
        var clinic = await portal.CreateClinicAsync();
        await using var ctx = ComponentContext.For(portal, clinic, bus: portal.Services.GetRequiredService<ClinicEventBus>());
        var cut = ctx.Render<Dashboard>();
        using var client = clinic.Client();
        var callId = "call-" + Guid.NewGuid();
        var call = new { id = callId, customer = new { number = "+447700100987" } };

        await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(client, "/api/vapi/webhook",
            new { message = new { type = "status-update", status = "in-progress", call } });
        cut.WaitForAssertion(() => Assert.Contains("On the line", cut.Find("[data-testid=calls]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Contains("…987", cut.Find("[data-testid=calls]").TextContent);
        Assert.DoesNotContain("+447700100987", cut.Markup); // the board masks callers

        await clinic.CallToolAsync("book_appointment", new
        {
            provider = "dr-a", date = Dates.Upcoming(DayOfWeek.Monday), time = "10:00", patient_name = "Board Caller", patient_phone = "+447700100987",
        }, callId: callId);
        await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(client, "/api/vapi/webhook",
            new { message = new { type = "end-of-call-report", endedReason = "customer-ended-call", call } });

        cut.WaitForAssertion(() => Assert.Contains("Booked", cut.Find("[data-testid=calls]").TextContent), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("On the line", cut.Find("[data-testid=calls]").TextContent);
    }
}
