using ClinicPortal.Features.Messages;
using ClinicPortal.Features.Privacy;
using ClinicPortal.Infrastructure.Database;
using ClinicPortal.TestSupport;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Messages;

/// <summary>
/// The dispatcher records the outcomes of texts claimed together in one statement, and seals their bodies in one
/// transaction (issue 13). Each text must still end as it would alone: recorded, and sealed under its recipient's key.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class DispatchBatchTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task Texts_queued_together_are_each_recorded_and_sealed_under_their_recipients_key()
    {
        var clinic = await portal.CreateClinicAsync();
        var (patient, caller, stranger, flaky) = (Phones.Unique(), Phones.Unique(), Phones.Unique(), Phones.Unique());
        await clinic.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Tuesday), "10:00", phone: patient); // a patient, with a confirmation text
        await portal.Twilio.WaitForAsync(patient);
        var callId = "batch-" + Guid.NewGuid().ToString("N");
        await clinic.SendMessageAsync(new { type = "status-update", status = "in-progress", call = new { id = callId, customer = new { number = caller } } });
        portal.Twilio.Script(flaky, FakeTwilio.ServerError); // its first attempt is retried: the body stays in clear until it is sent

        // One transaction: the dispatcher's next claim takes all five together.
        var texts = new (string To, string? CallId, string Body)[]
        {
            (patient, null, "Batch one for the patient"), (patient, null, "Batch two for the patient"), (caller, callId, "Batch for the caller"),
            (stranger, null, "Batch for a stranger"), (flaky, null, "Batch for a flaky number"),
        };
        await using (var su = portal.Superuser())
        {
            await su.OpenAsync();
            await using var tx = await su.BeginTransactionAsync();
            await su.ExecAsync("select set_config('app.clinic_id', @Id::text, true)", new { clinic.Id }, tx);
            foreach (var (to, call, body) in texts)
                await su.ExecAsync("select queue_sms('follow_up', @key, @to, @body, @call, null, 'test')", new { key = Guid.NewGuid().ToString(), to, body, call }, tx);
            await tx.CommitAsync();
        }

        foreach (var (to, _, body) in texts) Assert.Contains(await portal.Twilio.WaitForAsync(to, count: to == patient ? 3 : 1), m => m.Body == body);
        const string done = "body = '[sealed]' and body_sealed is not null and data_key_id is not null and status in ('sent', 'delivered')";
        for (var i = 0; i < 100 && await clinic.CountAsync("sms_messages", done) < 6; i++) await Task.Delay(100);
        Assert.Equal(6L, await clinic.CountAsync("sms_messages", done)); // the confirmation and all five

        await using var conn = portal.Superuser();
        await conn.OpenAsync();
        var rows = await conn.Sql("select id, to_phone, data_key_id, body_sealed from sms_messages where clinic_id = @Id order by created_at", new { clinic.Id })
            .ListAsync(r => (Id: r.GetGuid(0), To: r.GetString(1), Key: r.GetGuid(2), Sealed: r.GetFieldValue<byte[]>(3)));
        var patientKey = await conn.ScalarAsync<Guid>("select k.id from data_keys k join patients p on p.id = k.patient_id where p.phone = @patient", new { patient });
        Assert.All(rows.Where(r => r.To == patient), r => Assert.Equal(patientKey, r.Key));
        Assert.Equal(await conn.ScalarAsync<Guid>("select data_key_id from calls where call_id = @callId", new { callId }), rows.Single(r => r.To == caller).Key);
        var strangerKey = rows.Single(r => r.To == stranger).Key;
        Assert.Null(await conn.ScalarAsync<Guid?>("select patient_id from data_keys where id = @strangerKey", new { strangerKey }));
        Assert.Equal(4, rows.Select(r => r.Key).Distinct().Count());

        var keys = portal.Services.GetRequiredService<DataKeys>();
        var opened = new List<(string To, string? Body)>();
        foreach (var r in rows) opened.Add((r.To, await TextBodies.OpenAsync(conn, null, keys, clinic.Id, r.Id, "[sealed]", r.Sealed)));
        foreach (var (to, _, body) in texts) Assert.Contains((to, body), opened);
        Assert.Equal(5L, await clinic.CountAsync("audit_log", "action = 'sms.sent' and subject_id in (select id::text from sms_messages where kind = 'follow_up')"));
    }
}
