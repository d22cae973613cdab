using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Alerts;

/// <summary>One alert: a rule that fired, when, the worst figure, and when it resolved (null: still firing).</summary>
public sealed record AlertRow(long Id, string Rule, DateTime StartedAt, DateTime? ResolvedAt, decimal Threshold, decimal? Value, string Summary,
    DateTime? NotifiedAt)
{
    public string Title => AlertRules.Kind(Rule).Title;
}

/// <summary>The Alerts page and the settings behind it: alerts firing and past, each clinic's rules, an admin's alert mobile.</summary>
public sealed class AlertStore(ClinicDb db)
{
    private const string Columns = "id, rule, started_at, resolved_at, threshold, value, summary, notified_at";

    private static AlertRow Row(NpgsqlDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetDateTime(2), r.Value<DateTime?>(3), r.GetDecimal(4),
        r.Value<decimal?>(5), r.GetString(6), r.Value<DateTime?>(7));

    public Task<List<AlertRow>> FiringAsync(Guid clinic, CancellationToken ct = default) =>
        db.ReadAsync(clinic, (conn, tx) => conn.Command($"select {Columns} from alerts where resolved_at is null order by started_at", tx).ListAsync(Row, ct), ct);

    /// <summary>The newest alerts first, firing or resolved.</summary>
    public Task<List<AlertRow>> HistoryAsync(Guid clinic, int limit = 200, CancellationToken ct = default) =>
        db.ReadAsync(clinic, (conn, tx) => conn.Command($"select {Columns} from alerts order by started_at desc, id desc limit @limit", tx)
            .With("limit", limit).ListAsync(Row, ct), ct);

    public Task<IReadOnlyList<AlertRule>> RulesAsync(Guid clinic, CancellationToken ct = default) =>
        db.ReadAsync(clinic, async (conn, tx) => AlertRules.Complete(await conn.Command("select rule, enabled, threshold, window_minutes from alert_rules", tx)
            .ListAsync(r => new AlertRule(r.GetString(0), r.GetBoolean(1), r.GetDecimal(2), r.GetInt32(3)), ct)), ct);

    /// <summary>Saves the clinic's rules (audited, with what changed); a reason when one is out of range, and then nothing is saved.</summary>
    public async Task<string?> SaveRulesAsync(Guid clinic, IReadOnlyList<AlertRule> rules, string actor, CancellationToken ct = default)
    {
        if (rules.Select(AlertRules.Problem).FirstOrDefault(p => p is not null) is { } problem) return problem;
        var before = (await RulesAsync(clinic, ct)).ToDictionary(r => r.Rule);
        var changed = rules.Where(r => before[r.Rule] != r).ToList();
        if (changed.Count == 0) return null;
        await db.WriteAsync(clinic, async (conn, tx) =>
        {
            foreach (var r in changed)
                await conn.Command("""
                    insert into alert_rules (clinic_id, rule, enabled, threshold, window_minutes) values (current_clinic_id(), @rule, @enabled, @threshold, @window)
                    on conflict (clinic_id, rule) do update set enabled = excluded.enabled, threshold = excluded.threshold,
                                                                window_minutes = excluded.window_minutes, updated_at = now()
                    """, tx).With("rule", r.Rule).With("enabled", r.Enabled).With("threshold", r.Threshold).With("window", r.WindowMinutes).RunAsync(ct);
            var detail = changed.ToDictionary(r => r.Rule, r => new
            {
                from = new { before[r.Rule].Enabled, before[r.Rule].Threshold, before[r.Rule].WindowMinutes },
                to = new { r.Enabled, r.Threshold, r.WindowMinutes },
            });
            await conn.Command("select audit(@actor, 'alert.rules_changed', 'clinic', current_clinic_id()::text, @detail::jsonb)", tx)
                .With("actor", actor).With("detail", System.Text.Json.JsonSerializer.Serialize(detail)).RunAsync(ct);
        }, ct);
        return null;
    }

    /// <summary>The mobile this person gets the clinic's alerts on, or null.</summary>
    public Task<string?> AlertPhoneAsync(Guid clinic, Guid user, CancellationToken ct = default) =>
        db.ReadAsync(clinic, (conn, tx) => conn.Command("select alert_phone from alert_recipients() where user_id = @user", tx).With("user", user)
            .FirstOrDefaultAsync(r => r.Value<string>(0), ct), ct);

    /// <summary>Sets (or, empty, clears) an admin's alert mobile, read in the clinic's country; audited. A reason when it is not a mobile.</summary>
    public async Task<string?> SetAlertPhoneAsync(Guid clinic, Guid user, string? typed, string actor, CancellationToken ct = default)
    {
        var country = await db.ReadAsync(clinic, (conn, tx) => conn.Command("select country from clinics where id = current_clinic_id()", tx)
            .ScalarAsync<string>(ct), ct);
        var number = string.IsNullOrWhiteSpace(typed) ? null : Shared.Phone.Textable(typed, country ?? "GB", anyCountry: true);
        if (!string.IsNullOrWhiteSpace(typed) && number is null) return $"'{typed}' is not a mobile number (read in {country} unless it starts with +)";
        return await db.WriteAsync(clinic, async (conn, tx) =>
        {
            if (!await conn.Command("select staff_set_alert_phone(@user, @phone)", tx).With("user", user).With("phone", number).ScalarAsync<bool>(ct))
                return "you do not work at this clinic";
            await conn.Command("select audit(@actor, 'staff.alert_phone_changed', 'staff_user', @user::text, @detail::jsonb)", tx).With("actor", actor)
                .With("user", user).With("detail", System.Text.Json.JsonSerializer.Serialize(new { to = number is null ? null : "…" + number[^4..] }))
                .RunAsync(ct);
            return (string?)null;
        }, ct);
    }
}
