using ClinicPortal.Features.Audit;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ClinicPortal.Tests.Audit;

[Collection(PortalCollection.Name)]
public sealed class AuditTrailTests(ClinicPortalFactory portal)
{
    private async Task<ChainVerdict> SealAndVerifyAsync(TestClinic clinic)
    {
        var sealer = portal.Services.GetRequiredService<AuditSealer>();
        while (await sealer.SealBatchAsync(CancellationToken.None) > 0) { }
        return await portal.Services.GetRequiredService<AuditChain>().VerifyAsync(clinic.Id);
    }

    [Fact]
    public async Task Each_action_writes_one_audit_row_and_the_sealed_chain_verifies()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Monday);
        var booked = await clinic.BookAsync("dr-a", date, "10:00", phone: "+447700100777");
        await clinic.BookAsync("dr-a", date, "10:00", phone: "+447700100778");
        await clinic.CallToolAsync("cancel_appointment", new { confirmation_code = booked.GetProperty("confirmation_code").GetString(), patient_phone = "+447700100777" });

        await using var conn = portal.Superuser();
        for (var waited = 0; await clinic.CountAsync("sms_messages", "status in ('queued', 'sending')") > 0 && waited < 100; waited++)
            await Task.Delay(100); // the booking's confirmation text goes out, and its sending is audited too
        var actions = await conn.ColumnAsync<string>(
            "select action from audit_log where clinic_id = @Id and action like 'appointment.%' order by id", new { clinic.Id });
        Assert.Equal(["appointment.booked", "appointment.conflict", "appointment.cancelled"], actions);
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'credential.used'")); // once a minute per credential
        var actors = await conn.ColumnAsync<string>("select distinct actor from audit_log where clinic_id = @Id and action like 'appointment.%'", new { clinic.Id });
        Assert.Equal(["vapi:call:test-call"], actors);
        Assert.Equal(0, await clinic.CountAsync("audit_log", "detail ? 'patient_name'")); // erasable data stays out of the chain
        var verdict = await SealAndVerifyAsync(clinic);
        Assert.True(verdict.Ok, verdict.Problem);
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'sms.sent'"));
        Assert.Equal(5, verdict.Checked);
        Assert.Equal(0, verdict.Unsealed);
    }

    [Fact]
    public async Task A_rolled_back_booking_leaves_no_audit_row()
    {
        var clinic = await portal.CreateClinicAsync();
        await using var conn = new NpgsqlConnection(portal.Database.AppConnectionString);
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await conn.ExecAsync("select set_config('app.clinic_id', @c, true)", new { c = clinic.Id.ToString() }, tx);
        var provider = await conn.ScalarAsync<Guid>("select id from providers where slug = 'dr-a'", tx: tx);
        var outcome = await conn.ScalarAsync<string>("""
            select outcome from book_appointment(null, null, 'test', 'staff', gen_random_uuid(), 'ABCDEFGH', @provider, null,
                now() + interval '30 days', now() + interval '30 days 30 minutes', now() + interval '30 days 30 minutes',
                'Rolled Back', '+447700100999', null, '{}', '{}', '{}')
            """, new { provider }, tx);
        Assert.Equal("booked", outcome);
        Assert.Equal(1L, await conn.ScalarAsync<long>("select count(*) from audit_log", tx: tx));
        await tx.RollbackAsync();
        Assert.Equal(0, await clinic.CountAsync("audit_log"));
        Assert.Equal(0, await clinic.CountAsync("appointments"));
    }

    [Fact]
    public async Task A_row_that_commits_after_a_later_one_was_sealed_is_sealed_too()
    {
        // Ids are handed out before commit: the first row's transaction is still open when the second row commits and is
        // sealed. The sealer's cursor (transaction ids, 0027) must not pass the first one.
        var clinic = await portal.CreateClinicAsync();
        await using var slow = new NpgsqlConnection(portal.Database.AppConnectionString);
        await slow.OpenAsync();
        await using var tx = await slow.BeginTransactionAsync();
        await slow.ExecAsync("select set_config('app.clinic_id', @c, true)", new { c = clinic.Id.ToString() }, tx);
        await slow.ExecAsync("select audit('test', 'test.first', 'clinic', 'x', '{}')", tx: tx);
        var first = await slow.ScalarAsync<long>("select max(id) from audit_log where action = 'test.first'", tx: tx);
        await using var fast = new NpgsqlConnection(portal.Database.AppConnectionString);
        await fast.OpenAsync();
        await using (var fastTx = await fast.BeginTransactionAsync())
        {
            await fast.ExecAsync("select set_config('app.clinic_id', @c, true)", new { c = clinic.Id.ToString() }, fastTx);
            await fast.ExecAsync("select audit('test', 'test.second', 'clinic', 'x', '{}')", tx: fastTx);
            await fastTx.CommitAsync();
        }
        await using var conn = portal.Superuser();
        var second = await conn.ScalarAsync<long>("select id from audit_log where clinic_id = @Id and action = 'test.second'", new { clinic.Id });
        Assert.True(first < second);
        Assert.True((await SealAndVerifyAsync(clinic)).Ok);
        Assert.Equal(1L, await conn.ScalarAsync<long>("select count(*) from audit_seals where clinic_id = @Id and audit_id = @second", new { clinic.Id, second }));

        await tx.CommitAsync();
        var verdict = await SealAndVerifyAsync(clinic);
        Assert.True(verdict.Ok, verdict.Problem);
        Assert.Equal(0, verdict.Unsealed);
        var order = await conn.ColumnAsync<long>("select audit_id from audit_seals where clinic_id = @Id order by seq desc limit 2", new { clinic.Id });
        Assert.Equal([first, second], order); // sealed in the order they became visible
    }

    [Theory]
    [InlineData("update audit_log set action = 'tampered'")]
    [InlineData("delete from audit_log")]
    [InlineData("truncate audit_log")]
    [InlineData("delete from audit_seals")]
    public async Task The_app_role_cannot_change_the_audit_trail(string sql)
    {
        var clinic = await portal.CreateClinicAsync();
        await clinic.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "10:00");
        await using var conn = new NpgsqlConnection(portal.Database.AppConnectionString);
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await conn.ExecAsync("select set_config('app.clinic_id', @c, true)", new { c = clinic.Id.ToString() }, tx);
        var e = await Assert.ThrowsAsync<PostgresException>(() => conn.ExecAsync(sql, tx: tx));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
    }

    [Fact]
    public async Task Even_the_owner_is_refused_by_the_triggers()
    {
        var clinic = await portal.CreateClinicAsync();
        await clinic.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "10:00");
        await using var conn = portal.Superuser();
        var e = await Assert.ThrowsAsync<PostgresException>(() =>
            conn.ExecAsync("update audit_log set action = 'x' where clinic_id = @Id", new { clinic.Id }));
        Assert.Contains("append-only", e.MessageText);
    }

    [Fact]
    public async Task A_row_altered_by_a_superuser_is_found_by_verify()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Monday);
        await clinic.BookAsync("dr-a", date, "10:00");
        await clinic.BookAsync("dr-a", date, "11:00", phone: "+447700100002");
        await clinic.BookAsync("dr-a", date, "12:00", phone: "+447700100003");
        Assert.True((await SealAndVerifyAsync(clinic)).Ok);
        var holds = await PortalProcess.CommandAsync(portal.Database, "audit", "verify", "--clinic", clinic.Slug);
        Assert.True(holds.ExitCode == 0, holds.Stdout + holds.Stderr);
        Assert.Contains($"The audit chain of {clinic.Slug} holds", holds.Stdout);

        await using var conn = portal.Superuser();
        // The entry sealed second: entries are sealed by transaction id, then id (0027), not by id alone, and the
        // dispatcher's transaction that records a text's entry runs beside the bookings' (it failed once as "offset 1").
        var target = await conn.ScalarAsync<long>("select audit_id from audit_seals where clinic_id = @Id and seq = 2", new { clinic.Id });
        await conn.ExecAsync("""
            begin;
            set local session_replication_role = replica;
            update audit_log set actor = 'someone else' where clinic_id = @Id and id = @target;
            commit;
            """, new { clinic.Id, target });

        var verdict = await SealAndVerifyAsync(clinic);
        Assert.False(verdict.Ok);
        Assert.Equal(target, verdict.BrokenAuditId);
        Assert.Equal(2, verdict.BrokenSeq);
        Assert.Contains("altered", verdict.Problem);
        var broken = await PortalProcess.CommandAsync(portal.Database, "audit", "verify", "--clinic", clinic.Slug);
        Assert.Equal(3, broken.ExitCode);
        Assert.Contains($"BROKEN at seal 2 (audit entry {target})", broken.Stdout);
        var unknown = await PortalProcess.CommandAsync(portal.Database, "audit", "verify", "--clinic", "no-such-clinic");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("There is no clinic 'no-such-clinic'", unknown.Stderr);
    }
}
