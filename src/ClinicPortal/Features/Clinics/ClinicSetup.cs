using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace ClinicPortal.Features.Clinics;

public sealed record ProviderSpec(string Slug, string Name, string Specialty, IReadOnlyList<WorkingDay> Hours);

/// <summary>Weekly hours: ISO weekday (1 = Monday) and local opening and closing time.</summary>
public sealed record WorkingDay(int Weekday, TimeOnly Starts, TimeOnly Ends);

public sealed record ProcedureSpec(
    string Name, int DurationMinutes, int BufferAfterMinutes = 0, string[]? Synonyms = null,
    string Description = "", string Recovery = "", string PriceRange = "", string PreparationNotes = "");

public sealed record ClinicSpec(
    string Slug, string Name, string TimeZone, string? Phone, int MinNoticeMinutes,
    IReadOnlyList<ProviderSpec> Providers, IReadOnlyList<ProcedureSpec> Procedures, IReadOnlyList<string> WebhookSecrets, string Country = "GB");

/// <summary>
/// Creates a clinic with its providers, hours, procedures and webhook credentials, idempotently
/// (existing rows are left as they are). Runs as the owner role; the clinic's own rows are written
/// with the clinic set, so the same row-level security applies.
/// </summary>
public static class ClinicSetup
{
    public static byte[] HashSecret(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static async Task<Guid> EnsureClinicAsync(string ownerConnectionString, ClinicSpec spec, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(ownerConnectionString);
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync("""
            insert into clinics (id, slug, name, time_zone, phone, min_notice_minutes, country)
            values (gen_random_uuid(), @Slug, @Name, @TimeZone, @Phone, @MinNoticeMinutes, @Country)
            on conflict (slug) do nothing
            """, spec, tx);
        var clinicId = await conn.ExecuteScalarAsync<Guid>("select id from clinics where slug = @Slug", spec, tx);
        await conn.ExecuteAsync("select set_config('app.clinic_id', @c, true)", new { c = clinicId.ToString() }, tx);

        foreach (var p in spec.Providers)
        {
            var providerId = await conn.ExecuteScalarAsync<Guid>("""
                with ins as (
                    insert into providers (clinic_id, slug, name, specialty) values (@clinicId, @Slug, @Name, @Specialty)
                    on conflict (clinic_id, slug) do nothing returning id)
                select id from ins union all select id from providers where clinic_id = @clinicId and slug = @Slug limit 1
                """, new { clinicId, p.Slug, p.Name, p.Specialty }, tx);
            foreach (var h in p.Hours)
                await conn.ExecuteAsync("""
                    insert into working_hours (clinic_id, provider_id, weekday, starts_at, ends_at)
                    values (@clinicId, @providerId, @Weekday, @Starts, @Ends) on conflict do nothing
                    """, new { clinicId, providerId, h.Weekday, Starts = h.Starts.ToTimeSpan(), Ends = h.Ends.ToTimeSpan() }, tx);
        }
        foreach (var p in spec.Procedures)
            await conn.ExecuteAsync("""
                insert into procedures (clinic_id, name, synonyms, duration_minutes, buffer_after_minutes,
                                        description, recovery, price_range, preparation_notes)
                values (@clinicId, @Name, @Synonyms, @DurationMinutes, @BufferAfterMinutes,
                        @Description, @Recovery, @PriceRange, @PreparationNotes)
                on conflict (clinic_id, name) do nothing
                """, new { clinicId, p.Name, Synonyms = p.Synonyms ?? [], p.DurationMinutes, p.BufferAfterMinutes,
                          p.Description, p.Recovery, p.PriceRange, p.PreparationNotes }, tx);
        foreach (var secret in spec.WebhookSecrets)
            await AddWebhookSecretAsync(conn, tx, clinicId, secret, "seeded");
        await tx.CommitAsync(ct);
        return clinicId;
    }

    private static Task AddWebhookSecretAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinicId, string secret, string label) =>
        conn.ExecuteAsync("""
            insert into webhook_credentials (clinic_id, label, secret_hash) values (@clinicId, @label, @hash)
            on conflict (secret_hash) do nothing
            """, new { clinicId, label, hash = HashSecret(secret) }, tx);
}
