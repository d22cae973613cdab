using ClinicPortal.Tests.Support;
using Npgsql;

namespace ClinicPortal.Tests.Isolation;

[Collection(PortalCollection.Name)]
public sealed class TenantIsolationTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task Clinic_b_cannot_see_book_cancel_or_look_up_clinic_a_data()
    {
        var a = await portal.CreateClinicAsync();
        var b = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Monday);
        var booked = await a.BookAsync("dr-a", date, "10:00", phone: "+447700100555");
        var code = booked.GetProperty("confirmation_code").GetString();
        await using (var conn = portal.Superuser())
        {
            var providerId = await conn.ScalarAsync<Guid>("select id from providers where clinic_id = @Id and slug = 'dr-a'", new { a.Id });
            // B names A's provider by id: it is not B's provider.
            var byId = await b.BookAsync(providerId.ToString(), date, "10:00");
            Assert.Equal("invalid", byId.GetProperty("status").GetString());
        }
        var cancel = await b.CallToolAsync("cancel_appointment", new { confirmation_code = code, patient_phone = "+447700100555" });
        Assert.Equal("not_found", cancel.GetProperty("status").GetString());
        var reschedule = await b.CallToolAsync("reschedule_appointment", new { confirmation_code = code, patient_phone = "+447700100555", date, time = "11:00" });
        Assert.Equal("not_found", reschedule.GetProperty("status").GetString());
        // B's own dr-a is free at the same time: A's appointment does not exist for B.
        Assert.Equal("booked", (await b.BookAsync("dr-a", date, "10:00")).GetProperty("status").GetString());
        Assert.Equal(1, await a.CountAsync("appointments", "status <> 'cancelled'"));
    }

    [Fact]
    public async Task Procedure_lookup_reads_only_the_callers_clinic()
    {
        var a = await portal.CreateClinicAsync();
        var b = await portal.CreateClinicAsync();
        await using (var conn = portal.Superuser())
            await conn.ExecAsync("""
                insert into procedures (clinic_id, name, duration_minutes, description) values (@Id, 'Platinum hydrafacial', 60, 'only at A')
                """, new { a.Id });
        Assert.Equal("ok", (await a.CallToolAsync("lookup_procedure", new { query = "platinum hydrafacial" })).GetProperty("status").GetString());
        Assert.Equal("not_found", (await b.CallToolAsync("lookup_procedure", new { query = "platinum hydrafacial" })).GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_app_role_with_no_clinic_set_reads_every_table_empty()
    {
        var a = await portal.CreateClinicAsync();
        await a.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "09:00");
        await using var conn = new NpgsqlConnection(portal.Database.AppConnectionString);
        await conn.OpenAsync();
        // Three tables are no clinic's data: the list of applied migrations, the app's own key ring (encrypted, 0013) and its
        // own secrets (encrypted, 0014).
        var tables = (await conn.ColumnAsync<string>("""
            select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'public' and c.relkind = 'r' and c.relname not in ('schema_migrations', 'data_protection_keys', 'app_secrets')
               and has_table_privilege('clinic_app', c.oid, 'select')
            """)).ToList();
        Assert.Contains("appointments", tables);
        Assert.Contains("clinics", tables);
        foreach (var table in tables)
            Assert.Equal(0L, await conn.ScalarAsync<long>($"select count(*) from {table}"));
        var bypass = await conn.ScalarAsync<bool>("select rolbypassrls or rolsuper from pg_roles where rolname = current_user");
        Assert.False(bypass);
    }

    [Fact]
    public async Task One_hundred_concurrent_mixed_clinic_requests_never_mix_rows()
    {
        var clinics = new[] { await portal.CreateClinicAsync(), await portal.CreateClinicAsync(), await portal.CreateClinicAsync() };
        var date = Dates.Upcoming(DayOfWeek.Wednesday);
        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
        {
            var clinic = clinics[i % 3];
            var time = TimeSpan.FromHours(7) + TimeSpan.FromMinutes(30 * (i / 3 % 26));
            var provider = i / 3 >= 26 ? "dr-b" : "dr-a";
            var r = await clinic.BookAsync(provider, date, $"{time:hh\\:mm}", "Consultation", $"+4477017{i:D5}");
            return (clinic, r);
        }));
        Assert.All(results, x => Assert.Equal("booked", x.r.GetProperty("status").GetString()));
        foreach (var (clinic, r) in results)
            Assert.Equal(1, await clinic.CountAsync("appointments", $"id = '{r.GetProperty("appointment_id").GetString()}'"));
        Assert.Equal(100, clinics.Sum(c => c.CountAsync("appointments").Result));
    }

    [Fact]
    public async Task A_missing_or_wrong_credential_gets_401_and_nothing_is_processed()
    {
        var a = await portal.CreateClinicAsync();
        using var anonymous = portal.CreateClient();
        var message = TestClinic.ToolCallsMessage("book_appointment",
            new { provider = "dr-a", date = Dates.Upcoming(DayOfWeek.Monday), time = "10:00", patient_name = "X", patient_phone = "+447700100001" }, "t1");
        var none = await anonymous.PostAsync("/api/vapi/webhook", System.Net.Http.Json.JsonContent.Create(message));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/vapi/webhook") { Content = System.Net.Http.Json.JsonContent.Create(message) };
        request.Headers.Add("X-Vapi-Secret", a.Secret + "x");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.SendAsync(request)).StatusCode);
        var viaHeader = new HttpRequestMessage(HttpMethod.Post, "/api/vapi/webhook") { Content = System.Net.Http.Json.JsonContent.Create(message) };
        viaHeader.Headers.Add("X-Vapi-Secret", a.Secret);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await anonymous.SendAsync(viaHeader)).StatusCode);
        Assert.Equal(1, await a.CountAsync("appointments"));
    }
}
