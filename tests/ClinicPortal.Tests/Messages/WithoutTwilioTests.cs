using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ClinicPortal.Features.Clinics;
using ClinicPortal.Features.Demo;
using ClinicPortal.Infrastructure.Database;
using ClinicPortal.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ClinicPortal.Tests.Messages;

/// <summary>
/// The demo has no Twilio credentials: texts are kept and shown as not sent, never lost, never a crash.
/// On a database of its own, since every other portal of the test run sends through the fake Twilio.
/// </summary>
public sealed class WithoutTwilioTests
{
    [Fact]
    public async Task Without_twilio_credentials_texts_are_kept_as_not_sent_and_twilio_callbacks_are_refused()
    {
        var db = await TestDatabase.OwnDatabaseAsync("no_twilio");
        await Migrator.MigrateAsync(db.Owner, NullLogger.Instance);
        var secret = "secret-" + Guid.NewGuid().ToString("N");
        var hours = Enumerable.Range(1, 7).Select(d => new WorkingDay(d, new TimeOnly(7, 0), new TimeOnly(20, 0))).ToList();
        var clinicId = await ClinicSetup.EnsureClinicAsync(db.Owner, new ClinicSpec("demo-like", "Demo-like clinic", "Europe/London",
            "+442079460000", 60, [new ProviderSpec("dr-a", "Dr Ada A", "General", hours)], DemoSeed.Procedures, [secret]));

        await using var portal = db.Portal(("Sms:PollSeconds", "0.5"));
        using var client = portal.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);

        var report = await client.PostAsJsonAsync("/api/vapi/webhook", new
        {
            message = new { type = "end-of-call-report", call = new { id = "call-1", customer = new { number = "+447701800123" } } },
        });

        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        await using var conn = new NpgsqlConnection(db.Superuser);
        (string Status, string? Error) message = default;
        for (var i = 0; i < 100 && message.Status != "not_sent"; i++, await Task.Delay(50))
            message = (await conn.Sql("select status, error_message from sms_messages where clinic_id = @clinicId", new { clinicId })
                .ListAsync(r => (r.GetString(0), r.Value<string>(1)))).Single();
        Assert.Equal("not_sent", message.Status);
        Assert.Contains("Twilio is not configured", message.Error);

        using var twilio = portal.CreateClient();
        var callback = await twilio.PostAsync("/api/twilio/status?c=x&m=y", new FormUrlEncodedContent([KeyValuePair.Create("MessageStatus", "delivered")]));
        Assert.Equal(HttpStatusCode.Forbidden, callback.StatusCode);
    }
}
