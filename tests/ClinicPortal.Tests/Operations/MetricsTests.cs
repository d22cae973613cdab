using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ClinicPortal.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Operations;

/// <summary>GET /metrics: Prometheus text for the scraper holding the token, nothing for anyone else, and no patient data in any label.</summary>
[Collection(PortalCollection.Name)]
public sealed class MetricsTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task Without_a_scrape_token_configured_there_is_no_metrics_endpoint()
    {
        using var client = portal.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "anything");
        var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task The_scraper_with_the_token_gets_the_built_in_and_the_portals_metrics_and_no_label_carries_patient_data()
    {
        await using var scraped = portal.WithWebHostBuilder(b => b.UseSetting("Metrics:ScrapeToken", "scrape-token-for-tests"));
        var clinic = await portal.CreateClinicAsync();
        using var webhook = scraped.CreateClient();
        webhook.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", clinic.Secret);
        var phone = Phones.Unique();
        var date = Dates.Upcoming(DayOfWeek.Monday);
        await clinic.CallToolAsync("book_appointment", new { provider = "dr-a", date, time = "10:00", patient_name = "Metric Patient", patient_phone = phone },
            client: webhook);
        await clinic.CallToolAsync("book_appointment", new { provider = "dr-a", date, time = "10:00", patient_name = "Metric Loser", patient_phone = Phones.Unique() },
            client: webhook);
        await clinic.CallToolAsync("lookup_procedure", new { query = "botox" }, client: webhook);

        using var scraper = scraped.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await scraper.GetAsync("/metrics")).StatusCode);
        scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await scraper.GetAsync("/metrics")).StatusCode);
        scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "scrape-token-for-tests");
        var text = await scraper.GetStringAsync("/metrics");

        Assert.Contains("clinicportal_webhook_tool_duration_milliseconds_bucket{", text);
        Assert.Contains("tool=\"book_appointment\"", text);
        Assert.Contains("outcome=\"conflict\"", text);
        Assert.Contains("clinicportal_appointments_total{", text);
        Assert.Contains("change=\"booked\"", text);
        Assert.Contains("http_server_request_duration_seconds", text); // ASP.NET Core
        Assert.Contains("db_client_", text); // Npgsql
        Assert.Contains("dotnet_", text); // the .NET runtime
        Assert.Contains("clinicportal_audit_sealer_lag_seconds", text);
        Assert.Contains("clinicportal_events_feed_lag_seconds", text);
        Assert.Contains("clinicportal_circuits_open", text);
        foreach (var secret in new[] { phone, phone[3..], "Metric Patient", "Metric Loser", clinic.Secret, clinic.Id.ToString() })
            Assert.DoesNotContain(secret, text);
    }

    [Fact]
    public async Task A_text_twilio_accepts_records_how_long_it_waited_in_the_queue()
    {
        // A database and portal of its own: on the common database any portal of the run may send the text, the browser
        // tests' portals too, which run in processes of their own whose meters this listener cannot hear. It listens to
        // this portal's meter only, so another portal's text cannot pass it.
        var db = await TestDatabase.OwnDatabaseAsync("queue_wait");
        var twilio = await TestDatabase.TwilioAsync();
        await using var own = db.TestPortal([.. TestDatabase.TwilioSettings(twilio).Select(kv => (kv.Key, kv.Value))]);
        own.CreateClient().Dispose(); // started: migrated
        var meter = own.Services.GetRequiredService<ClinicPortal.Features.Operations.ClinicMetrics>().Meter; // this portal's, not the others'
        var waits = new System.Collections.Concurrent.ConcurrentBag<double>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == meter && instrument.Name == "clinicportal.texts.queue_to_twilio") l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, _, _) => waits.Add(seconds));
        listener.Start();
        var slug = "q-" + Guid.NewGuid().ToString("N")[..10];
        var secret = "secret-" + slug;
        await ClinicPortal.Features.Clinics.ClinicSetup.EnsureClinicAsync(db.Owner, new ClinicPortal.Features.Clinics.ClinicSpec(slug, "Queue " + slug,
            "Europe/London", "+442079460999", 0, [new ClinicPortal.Features.Clinics.ProviderSpec("dr-a", "Dr A", "General", Dates.AroundTheClock)], [], [secret]));
        var phone = Phones.Unique();

        using var client = own.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        var booking = new { provider = "dr-a", date = Dates.Upcoming(DayOfWeek.Thursday), time = "10:00", patient_name = "Pat Test", patient_phone = phone };
        (await client.PostAsJsonAsync("/api/vapi/webhook", TestClinic.ToolCallsMessage("book_appointment", booking, TestClinic.NewToolCallId())))
            .EnsureSuccessStatusCode(); // a voice booking: its confirmation text
        await twilio.WaitForAsync(phone);
        for (var i = 0; i < 50 && waits.IsEmpty; i++) await Task.Delay(100);

        Assert.Contains(waits, s => s is >= 0 and < 30);
    }

    [Fact]
    public async Task With_an_otlp_endpoint_set_each_webhook_request_is_exported_as_a_trace_down_to_its_sql()
    {
        using var collector = new System.Net.HttpListener();
        var port = PortalProcess.FreePort();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        await using var traced = portal.WithWebHostBuilder(b => b
            .UseSetting("OTEL_EXPORTER_OTLP_ENDPOINT", $"http://127.0.0.1:{port}")
            .UseSetting("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            .UseSetting("OTEL_BSP_SCHEDULE_DELAY", "200"));
        var clinic = await portal.CreateClinicAsync();
        using var webhook = traced.CreateClient();
        webhook.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", clinic.Secret);
        await clinic.CallToolAsync("lookup_procedure", new { query = "botox" }, client: webhook);

        // The OTLP/HTTP wire format: protobuf posted to /v1/traces. Span names and attributes are plain strings inside it.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var seen = new System.Text.StringBuilder();
        while (DateTime.UtcNow < deadline && !(seen.ToString().Contains("/api/vapi/webhook") && seen.ToString().Contains("postgresql")))
        {
            var next = collector.GetContextAsync();
            if (await Task.WhenAny(next, Task.Delay(deadline - DateTime.UtcNow)) != next) break;
            var ctx = await next;
            using var body = new MemoryStream();
            await ctx.Request.InputStream.CopyToAsync(body);
            if (ctx.Request.Url!.AbsolutePath == "/v1/traces")
            {
                Assert.Equal("application/x-protobuf", ctx.Request.ContentType);
                seen.Append(System.Text.Encoding.Latin1.GetString(body.ToArray()));
            }
            ctx.Response.StatusCode = 200;
            ctx.Response.Close();
        }
        Assert.Contains("/api/vapi/webhook", seen.ToString()); // the request's span
        Assert.Contains("postgresql", seen.ToString()); // its SQL, as child spans (db.system)
    }
}
