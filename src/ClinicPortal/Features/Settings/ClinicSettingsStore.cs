using System.Security.Cryptography;
using ClinicPortal.Features.Clinics;
using ClinicPortal.Features.Events;
using ClinicPortal.Features.Webhooks;
using ClinicPortal.Infrastructure.Database;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ClinicPortal.Features.Settings;

public sealed record ClinicSettings(string Name, string TimeZone, int MinNoticeMinutes, string? Phone, string Country, TextSettings Texts,
    string? TransferPhone = null, AssistantSettings? Assistant = null, RetentionSettings? Retention = null);

/// <summary>How many days the clinic keeps call transcripts and summaries, text bodies, dashboard events and ended calls' numbers (docs/privacy.md).</summary>
public sealed record RetentionSettings(int CallRecordsDays, int TextBodiesDays, int EventsDays, int CallerNumbersDays);

/// <summary>What assistant-request answers with (docs/vapi.md): on or off, a saved Vapi assistant, or the built one's credential, model and voice.</summary>
public sealed record AssistantSettings(bool VoiceEnabled, string? VapiAssistantId, string? VapiCredentialId, string? Model, string? Voice);

/// <summary>What texts and links may do: give unconfirmed voice bookings' slots back, text numbers abroad, how many a number gets a day.</summary>
public sealed record TextSettings(bool ExpireUnconfirmed, bool SmsAnyCountry, int SmsDailyCap);

/// <summary>A credential as admins see it: how Vapi must send it (kind and headers), and its life.</summary>
public sealed record CredentialRow(Guid Id, string Label, string Kind, string Sends, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt);

/// <summary>An admin's clinic settings and webhook credentials. Every change is audited with the admin as actor.</summary>
public sealed class ClinicSettingsStore(ClinicDb db, WebhookCredentials credentials, Privacy.NoteProtector sealer)
{
    public Task<(ClinicSettings Settings, IReadOnlyList<CredentialRow> Credentials)> LoadAsync(Guid clinic, CancellationToken ct = default) =>
        db.ReadDataAsync(clinic, async data =>
        {
            var settings = await data.Clinics.Where(c => c.Id == clinic)
                .Select(c => new ClinicSettings(c.Name, c.TimeZone, c.MinNoticeMinutes, c.Phone, c.Country,
                    new TextSettings(c.ExpireUnconfirmed, c.SmsAnyCountry, c.SmsDailyCap), c.TransferPhone,
                    new AssistantSettings(c.VoiceEnabled, c.VapiAssistantId, c.VapiCredentialId, c.AssistantModel, c.AssistantVoice),
                    new RetentionSettings(c.KeepCallRecordsDays, c.KeepTextBodiesDays, c.KeepEventsDays, c.KeepCallerNumbersDays))).SingleAsync(ct);
            var credentials = await data.WebhookCredentials.OrderBy(c => c.RevokedAt != null).ThenBy(c => c.RevokedAt).ThenByDescending(c => c.CreatedAt)
                .Select(c => new CredentialRow(c.Id, c.Label, c.Kind, c.Kind == "hmac"
                    ? c.Algorithm + " " + c.SignatureEncoding + " in " + c.SignatureHeader + ", " + c.TimestampHeader + ", " + c.PayloadFormat
                    : c.HeaderName, c.CreatedAt, c.LastUsedAt, c.RevokedAt)).ToListAsync(ct);
            return (settings, (IReadOnlyList<CredentialRow>)credentials);
        }, ct);

    /// <summary>Saves time zone and minimum notice; returns a reason when the database refuses them (unknown zone, out of range).</summary>
    public async Task<string?> SaveAsync(Guid clinic, string timeZone, int minNoticeMinutes, string actor, CancellationToken ct = default)
    {
        try
        {
            await db.WriteDataAsync(clinic, async data =>
            {
                var before = (await data.Clinics.FromSql($"select * from clinics where id = {clinic} for update").ToListAsync(ct)).Single();
                await data.Clinics.Where(c => c.Id == clinic)
                    .ExecuteUpdateAsync(u => u.SetProperty(c => c.TimeZone, timeZone).SetProperty(c => c.MinNoticeMinutes, minNoticeMinutes), ct);
                await data.AuditAsync(actor, "clinic.settings_changed", "clinic", clinic.ToString(), new
                {
                    time_zone = new { from = before.TimeZone, to = timeZone }, min_notice_minutes = new { from = before.MinNoticeMinutes, to = minNoticeMinutes },
                }, ct);
                return true;
            }, ct);
        }
        catch (Exception e) when (ClinicData.Refusal(e) is { SqlState: PostgresErrorCodes.CheckViolation } refused)
        {
            return refused.ConstraintName switch
            {
                "clinics_time_zone_check" => $"'{timeZone}' is not a time zone PostgreSQL knows (use an IANA name such as Europe/London)",
                _ => "minimum notice must be between 0 and 10080 minutes (a week)",
            };
        }
        return null;
    }

    /// <summary>
    /// Where the voice agent transfers a caller who asks for a person (empty: the clinic's phone). The number is read in the
    /// clinic's country; returns a reason when it is not a number.
    /// </summary>
    public async Task<string?> SaveTransferPhoneAsync(Guid clinic, string? typed, string actor, CancellationToken ct = default)
    {
        var (settings, _) = await LoadAsync(clinic, ct);
        var number = string.IsNullOrWhiteSpace(typed) ? null : Shared.Phone.Normalize(typed, settings.Country);
        if (!string.IsNullOrWhiteSpace(typed) && number is null) return $"'{typed}' is not a phone number in {settings.Country}";
        await db.WriteDataAsync(clinic, async data =>
        {
            await data.Clinics.Where(c => c.Id == clinic).ExecuteUpdateAsync(u => u.SetProperty(c => c.TransferPhone, number), ct);
            await data.AuditAsync(actor, "clinic.transfer_phone_changed", "clinic", clinic.ToString(),
                new { from = settings.TransferPhone is null ? null : "…" + settings.TransferPhone[^4..], to = number is null ? null : "…" + number[^4..] }, ct);
            return true;
        }, ct);
        return null;
    }

    /// <summary>Saves the assistant settings (empty text: none, the configured default); audited. A value over 100 characters is refused.</summary>
    public async Task<string?> SaveAssistantAsync(Guid clinic, AssistantSettings a, string actor, CancellationToken ct = default)
    {
        static string? Clean(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
        a = a with { VapiAssistantId = Clean(a.VapiAssistantId), VapiCredentialId = Clean(a.VapiCredentialId), Model = Clean(a.Model), Voice = Clean(a.Voice) };
        try
        {
            await db.WriteDataAsync(clinic, async data =>
            {
                await data.Clinics.Where(c => c.Id == clinic).ExecuteUpdateAsync(u => u
                    .SetProperty(c => c.VoiceEnabled, a.VoiceEnabled).SetProperty(c => c.VapiAssistantId, a.VapiAssistantId)
                    .SetProperty(c => c.VapiCredentialId, a.VapiCredentialId).SetProperty(c => c.AssistantModel, a.Model)
                    .SetProperty(c => c.AssistantVoice, a.Voice), ct);
                await data.AuditAsync(actor, "clinic.assistant_changed", "clinic", clinic.ToString(), new
                {
                    voice_enabled = a.VoiceEnabled, assistant_id = a.VapiAssistantId, credential_id = a.VapiCredentialId, model = a.Model, voice = a.Voice,
                }, ct);
                return true;
            }, ct);
        }
        catch (Exception e) when (ClinicData.Refusal(e) is { SqlState: PostgresErrorCodes.CheckViolation })
        {
            return "each value may be at most 100 characters";
        }
        return null;
    }

    /// <summary>Saves the text settings; returns a reason when the database refuses them (a daily cap out of range).</summary>
    public async Task<string?> SaveTextsAsync(Guid clinic, TextSettings texts, string actor, CancellationToken ct = default)
    {
        try
        {
            await db.WriteDataAsync(clinic, async data =>
            {
                var before = (await data.Clinics.FromSql($"select * from clinics where id = {clinic} for update").ToListAsync(ct)).Single();
                await data.Clinics.Where(c => c.Id == clinic).ExecuteUpdateAsync(u => u
                    .SetProperty(c => c.ExpireUnconfirmed, texts.ExpireUnconfirmed).SetProperty(c => c.SmsAnyCountry, texts.SmsAnyCountry)
                    .SetProperty(c => c.SmsDailyCap, texts.SmsDailyCap), ct);
                await data.AuditAsync(actor, "clinic.text_settings_changed", "clinic", clinic.ToString(), new
                {
                    expire_unconfirmed = new { from = before.ExpireUnconfirmed, to = texts.ExpireUnconfirmed },
                    sms_any_country = new { from = before.SmsAnyCountry, to = texts.SmsAnyCountry },
                    sms_daily_cap = new { from = before.SmsDailyCap, to = texts.SmsDailyCap },
                }, ct);
                return true;
            }, ct);
        }
        catch (Exception e) when (ClinicData.Refusal(e) is { SqlState: PostgresErrorCodes.CheckViolation })
        {
            return "the daily cap must be between 1 and 100 texts a number";
        }
        return null;
    }

    /// <summary>Saves the retention periods; a reason when the database refuses them (each is 1 to 3650 days).</summary>
    public async Task<string?> SaveRetentionAsync(Guid clinic, RetentionSettings keep, string actor, CancellationToken ct = default)
    {
        try
        {
            await db.WriteDataAsync(clinic, async data =>
            {
                var before = (await data.Clinics.FromSql($"select * from clinics where id = {clinic} for update").ToListAsync(ct)).Single();
                await data.Clinics.Where(c => c.Id == clinic).ExecuteUpdateAsync(u => u
                    .SetProperty(c => c.KeepCallRecordsDays, keep.CallRecordsDays).SetProperty(c => c.KeepTextBodiesDays, keep.TextBodiesDays)
                    .SetProperty(c => c.KeepEventsDays, keep.EventsDays).SetProperty(c => c.KeepCallerNumbersDays, keep.CallerNumbersDays), ct);
                await data.AuditAsync(actor, "clinic.retention_changed", "clinic", clinic.ToString(), new
                {
                    call_records_days = new { from = before.KeepCallRecordsDays, to = keep.CallRecordsDays },
                    text_bodies_days = new { from = before.KeepTextBodiesDays, to = keep.TextBodiesDays },
                    events_days = new { from = before.KeepEventsDays, to = keep.EventsDays },
                    caller_numbers_days = new { from = before.KeepCallerNumbersDays, to = keep.CallerNumbersDays },
                }, ct);
                return true;
            }, ct);
        }
        catch (Exception e) when (ClinicData.Refusal(e) is { SqlState: PostgresErrorCodes.CheckViolation })
        {
            return "each period must be between 1 and 3650 days";
        }
        return null;
    }

    /// <summary>Creates a credential of either kind: its secret (shown once), or why it cannot be made.</summary>
    public async Task<(string? Secret, string? Problem)> CreateCredentialAsync(Guid clinic, NewCredential credential, string actor,
        CancellationToken ct = default)
    {
        if (credential.Problem(sealer) is { } problem) return (null, problem);
        var secret = NewCredential.NewSecret();
        var id = Guid.CreateVersion7();
        await db.WriteAsync(clinic, async (conn, tx) =>
        {
            await credential.InsertAsync(conn, tx, clinic, id, secret, sealer, ct);
            await conn.Command("select audit(@actor, 'credential.created', 'webhook_credential', @id::text, @detail::jsonb)", tx)
                .With("actor", actor).With("id", id).With("detail", System.Text.Json.JsonSerializer.Serialize(credential.AuditDetail())).RunAsync(ct);
        }, ct);
        credentials.Invalidate();
        return (secret, null);
    }

    public async Task<bool> RevokeCredentialAsync(Guid clinic, Guid id, string actor, CancellationToken ct = default)
    {
        var revoked = await db.WriteDataAsync(clinic, async data =>
        {
            if (await data.WebhookCredentials.Where(c => c.Id == id && c.RevokedAt == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(c => c.RevokedAt, c => DateTime.UtcNow), ct) == 0) return false;
            await data.AuditAsync(actor, "credential.revoked", "webhook_credential", id.ToString(), new { }, ct);
            return true;
        }, ct);
        if (revoked) credentials.Invalidate(); // at once on this instance; others within their refresh interval
        return revoked;
    }
}
