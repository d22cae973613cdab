using System.Net;
using Bunit;
using ClinicPortal.Features.Analytics;
using ClinicPortal.Features.Latency;
using ClinicPortal.Tests.Components;
using ClinicPortal.Tests.Support;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Operations;

/// <summary>
/// The analytics of a clinic of its own in Europe/London: a known week of calls, tool calls, appointments and texts, read back
/// by the clinic's days and hours (summer time moves a call at 23:30 UTC to the next day), through the store, the CSV
/// export and the page.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class AnalyticsTests(ClinicPortalFactory portal)
{
    private static readonly DateOnly Monday = new(2026, 6, 29);

    /// <summary>
    /// Monday 29 June 2026 (BST, UTC+1): three calls at 09:10 local, one booked, one only looked something up, one reached no
    /// tool, and one lost a race; Tuesday 00:30 local (Monday 23:30 UTC): a call that booked. Appointments that week: Dr Ada A
    /// three (one completed, one no-show, one cancelled), Dr Bo B one. Texts: two delivered, one failed, one alert (not counted).
    /// </summary>
    private async Task<TestClinic> WeekAsync()
    {
        var clinic = await portal.CreateClinicAsync();
        await using var su = portal.Superuser();
        await su.ExecAsync("""
            insert into calls (clinic_id, call_id, status, created_at) values
                (@Id, 'c1', 'ended', '2026-06-29 08:10Z'), (@Id, 'c2', 'ended', '2026-06-29 08:12Z'), (@Id, 'c3', 'ended', '2026-06-29 08:14Z'),
                (@Id, 'c4', 'ended', '2026-06-29 23:30Z');
            insert into tool_calls (clinic_id, tool_call_id, call_id, tool_name, result, created_at) values
                (@Id, 't1', 'c1', 'check_availability', '{"status":"ok"}', '2026-06-29 08:11Z'),
                (@Id, 't2', 'c1', 'book_appointment', '{"status":"booked"}', '2026-06-29 08:11Z'),
                (@Id, 't3', 'c2', 'lookup_procedure', '{"status":"ok"}', '2026-06-29 08:13Z'),
                (@Id, 't4', 'c2', 'book_appointment', '{"status":"conflict"}', '2026-06-29 08:13Z'),
                (@Id, 't5', 'c4', 'book_appointment', '{"status":"booked"}', '2026-06-29 23:31Z');
            insert into patients (clinic_id, id, name, phone) values (@Id, gen_random_uuid(), 'Pat Week', '+447700100555');
            insert into appointments (clinic_id, provider_id, patient_id, starts_at, ends_at, blocked_until, status, confirmation_code, source, created_by)
            select @Id, p.id, (select id from patients where clinic_id = @Id), s.at, s.at + interval '30 minutes', s.at + interval '30 minutes',
                   s.status::appointment_status, s.code, 'voice', 'test'
              from (values ('dr-a', timestamptz '2026-06-30 09:00Z', 'completed', 'WEEK0001'), ('dr-a', '2026-06-30 10:00Z', 'no_show', 'WEEK0002'),
                           ('dr-a', '2026-07-01 09:00Z', 'cancelled', 'WEEK0003'), ('dr-b', '2026-06-30 09:00Z', 'confirmed', 'WEEK0004')) s(provider, at, status, code)
              join providers p on p.clinic_id = @Id and p.slug = s.provider;
            insert into sms_messages (clinic_id, kind, dedupe_key, ref, to_phone, body, status, created_by, created_at)
            select @Id, k, 'k' || i, 'r' || i, '+447700100555', 'hello', s, 'test', '2026-06-29 12:00Z'
              from (values (1, 'follow_up', 'delivered'), (2, 'confirmation', 'delivered'), (3, 'follow_up', 'failed'), (4, 'alert', 'failed')) v(i, k, s);
            """, new { clinic.Id });
        var counts = new int[LatencyHistogram.Buckets];
        counts[LatencyHistogram.BucketOf(10)] = 98;
        counts[LatencyHistogram.BucketOf(400)] = 2;
        await su.ExecAsync("insert into webhook_latency_hourly (clinic_id, hour, counts, tool_calls, tool_failures) values (@Id, '2026-06-29 08:00Z', @counts, 5, 1)",
            new { clinic.Id, counts });
        return clinic;
    }

    [Fact]
    public async Task The_funnel_conversion_outcomes_texts_latency_and_busiest_times_are_counted_in_the_clinics_days_and_hours()
    {
        var clinic = await WeekAsync();
        var r = await portal.Services.GetRequiredService<AnalyticsStore>().LoadAsync(clinic.Id, "Europe/London", Monday, Monday.AddDays(6));

        Assert.Equal(7, r.Days.Count);
        Assert.Equal((4L, 3L, 2L), (r.Calls, r.CallsWithTools, r.CallsBooked));
        Assert.Equal(50.0, r.Conversion);
        var monday = r.Days[0];
        Assert.Equal((3L, 2L, 1L, 4L, 1L), (monday.Calls, monday.CallsWithTools, monday.CallsBooked, monday.ToolCalls, monday.Collisions));
        var tuesday = r.Days[1];
        Assert.Equal((1L, 1L), (tuesday.Calls, tuesday.CallsBooked)); // 23:30 UTC is 00:30 on Tuesday in London
        Assert.Equal((3L, 0L, 1L), (tuesday.Appointments, tuesday.Cancelled, tuesday.NoShows));
        Assert.Equal((0L, 1L), (r.Days[2].Appointments, r.Days[2].Cancelled));
        Assert.Equal((3L, 1L), (r.Hours[9].Calls, r.Hours[9].CallsBooked));
        Assert.Equal((1L, 1L), (r.Hours[0].Calls, r.Hours[0].CallsBooked));

        Assert.Equal([new ProviderRow("Dr Ada A", 2), new ProviderRow("Dr Bo B", 1)], r.Providers); // the cancelled one does not count
        Assert.Equal(new SlotRow(2, 10, 2), r.BusiestSlots[0]); // Tuesday 10:00 local: two providers
        Assert.Equal(new SlotRow(2, 11, 1), r.BusiestSlots[1]);
        Assert.Equal([new TextRow("delivered", 2), new TextRow("failed", 1)], r.Texts); // the alert text is not the clinic's traffic
        Assert.Equal((100L, 5L, 1L), (r.Latency.Requests, r.Latency.ToolCalls, r.Latency.ToolFailures));
        Assert.True(r.Latency.P99 > 300);

        var before = await portal.Services.GetRequiredService<AnalyticsStore>().LoadAsync(clinic.Id, "Europe/London", Monday.AddDays(-7), Monday.AddDays(-1));
        Assert.Equal(0, before.Calls + before.Appointments + before.Texts.Count + before.Latency.Requests);
        Assert.NotNull(AnalyticsStore.Problem(Monday, Monday.AddDays(-1)));
        Assert.NotNull(AnalyticsStore.Problem(Monday, Monday.AddDays(400)));
    }

    [Fact]
    public async Task Webhook_requests_reach_the_hourly_figures_analytics_reads()
    {
        var clinic = await portal.CreateClinicAsync();
        await clinic.CallToolAsync("lookup_procedure", new { query = "lip filler" });
        await portal.Services.GetRequiredService<WebhookLatency>().FlushAsync();
        Assert.True(await portal.CountAsync("select sum(tool_calls) from webhook_latency_hourly where clinic_id = @Id", new { clinic.Id }) >= 1);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var r = await portal.Services.GetRequiredService<AnalyticsStore>().LoadAsync(clinic.Id, "Europe/London", today.AddDays(-1), today.AddDays(1));
        Assert.True(r.Latency.Requests >= 1);
    }

    [Fact]
    public async Task Staff_download_each_table_as_csv_and_bad_requests_get_a_clear_400()
    {
        var clinic = await WeekAsync();
        using var anonymous = portal.CreateClient(new() { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/analytics.csv?from=2026-06-29&to=2026-07-05")).StatusCode);

        using var staff = StaffSession.Open(portal);
        await staff.SignInAsync(await StaffSession.NewAccountAsync(portal, clinic, "staff"));
        var days = await staff.Client.GetAsync("/api/analytics.csv?table=days&from=2026-06-29&to=2026-07-05");
        Assert.Equal(HttpStatusCode.OK, days.StatusCode);
        Assert.Equal("text/csv", days.Content.Headers.ContentType?.MediaType);
        var lines = (await days.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("date,calls,calls_with_tool_calls,calls_booked,conversion_percent,tool_calls,collisions,appointments,cancelled,no_shows", lines[0]);
        Assert.Equal("2026-06-29,3,2,1,33.3,4,1,0,0,0", lines[1]);
        Assert.Equal(8, lines.Length);
        var providers = await staff.Client.GetStringAsync("/api/analytics.csv?table=providers&from=2026-06-29&to=2026-07-05");
        Assert.Equal("provider,appointments\nDr Ada A,2\nDr Bo B,1\n", providers);

        foreach (var bad in new[] { "table=secrets&from=2026-06-29&to=2026-07-05", "from=2026-07-05&to=2026-06-29", "from=yesterday&to=today", "from=2020-01-01&to=2026-01-01" })
        {
            var response = await staff.Client.GetAsync("/api/analytics.csv?" + bad);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task The_page_shows_a_custom_range_and_says_what_is_wrong_with_a_bad_one()
    {
        var clinic = await WeekAsync();
        await using var ctx = ComponentContext.For(portal, clinic);
        var nav = ctx.Services.GetRequiredService<NavigationManager>();

        nav.NavigateTo("analytics?range=custom&from=2026-06-29&to=2026-07-05");
        var cut = ctx.Render<AnalyticsPage>();
        cut.WaitForAssertion(() => Assert.Equal("4", cut.Find("[data-testid=calls]").TextContent));
        Assert.Equal("50%", cut.Find("[data-testid=conversion]").TextContent);
        Assert.Equal("1", cut.Find("[data-testid=no-shows]").TextContent);
        Assert.Contains("Dr Ada A", cut.Find("[data-testid=providers]").TextContent);
        Assert.Contains("csv?table=days&from=2026-06-29&to=2026-07-05", cut.Find("[data-testid=csv-days]").GetAttribute("href"));

        nav.NavigateTo("analytics?range=custom&from=2026-07-05&to=2026-06-29");
        var bad = ctx.Render<AnalyticsPage>();
        bad.WaitForAssertion(() => Assert.Contains("ends before it starts", bad.Find("[data-testid=analytics-problem]").TextContent));
    }
}
