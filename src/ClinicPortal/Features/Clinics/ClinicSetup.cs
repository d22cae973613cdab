using ClinicPortal.Features.Privacy;
using ClinicPortal.Features.Webhooks;
using ClinicPortal.Infrastructure.Database;
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
    public static async Task<Guid> EnsureClinicAsync(string ownerConnectionString, ClinicSpec spec, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(ownerConnectionString);
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.Command("""
            insert into clinics (id, slug, name, time_zone, phone, min_notice_minutes, country)
            values (gen_random_uuid(), @slug, @name, @timeZone, @phone, @minNotice, @country)
            on conflict (slug) do nothing
            """, tx).With("slug", spec.Slug).With("name", spec.Name).With("timeZone", spec.TimeZone).With("phone", spec.Phone)
            .With("minNotice", spec.MinNoticeMinutes).With("country", spec.Country).RunAsync(ct);
        var clinicId = await conn.ForClinicOf(spec.Slug, tx, ct);

        foreach (var p in spec.Providers)
        {
            var providerId = await conn.Command("""
                with ins as (
                    insert into providers (clinic_id, slug, name, specialty) values (@clinicId, @slug, @name, @specialty)
                    on conflict (clinic_id, slug) do nothing returning id)
                select id from ins union all select id from providers where clinic_id = @clinicId and slug = @slug limit 1
                """, tx).With("clinicId", clinicId).With("slug", p.Slug).With("name", p.Name).With("specialty", p.Specialty).ScalarAsync<Guid>(ct);
            foreach (var h in p.Hours)
                await conn.Command("""
                    insert into working_hours (clinic_id, provider_id, weekday, starts_at, ends_at)
                    values (@clinicId, @providerId, @weekday, @starts, @ends) on conflict do nothing
                    """, tx).With("clinicId", clinicId).With("providerId", providerId).With("weekday", (short)h.Weekday)
                    .With("starts", h.Starts).With("ends", h.Ends).RunAsync(ct);
        }
        foreach (var p in spec.Procedures)
            await conn.Command("""
                insert into procedures (clinic_id, name, synonyms, duration_minutes, buffer_after_minutes,
                                        description, recovery, price_range, preparation_notes)
                values (@clinicId, @name, @synonyms, @duration, @buffer, @description, @recovery, @priceRange, @preparation)
                on conflict (clinic_id, name) do nothing
                """, tx).With("clinicId", clinicId).With("name", p.Name).With("synonyms", p.Synonyms ?? []).With("duration", p.DurationMinutes)
                .With("buffer", p.BufferAfterMinutes).With("description", p.Description).With("recovery", p.Recovery)
                .With("priceRange", p.PriceRange).With("preparation", p.PreparationNotes).RunAsync(ct);
        foreach (var secret in spec.WebhookSecrets)
            await AddWebhookSecretAsync(conn, tx, clinicId, secret, "seeded");
        await tx.CommitAsync(ct);
        return clinicId;
    }

    /// <summary>The clinic's id, set as the transaction's clinic so row-level security applies to what follows.</summary>
    private static async Task<Guid> ForClinicOf(this NpgsqlConnection conn, string slug, NpgsqlTransaction tx, CancellationToken ct)
    {
        var clinicId = await conn.Command("select id from clinics where slug = @slug", tx).With("slug", slug).ScalarAsync<Guid>(ct);
        await conn.Command("select set_config('app.clinic_id', @c, true)", tx).With("c", clinicId.ToString()).RunAsync(ct);
        return clinicId;
    }

    private static Task AddWebhookSecretAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinicId, string secret, string label) =>
        new NewCredential(label).InsertAsync(conn, tx, clinicId, Guid.CreateVersion7(), secret, sealer: null, CancellationToken.None);

    /// <summary>Adds a credential of any kind to an existing clinic, unless its secret is one already (seeding again changes nothing).</summary>
    public static async Task AddCredentialAsync(string ownerConnectionString, string slug, NewCredential credential, string secret,
        NoteProtector? sealer, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(ownerConnectionString);
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var clinicId = await conn.ForClinicOf(slug, tx, ct);
        await credential.InsertAsync(conn, tx, clinicId, Guid.CreateVersion7(), secret, sealer, ct);
        await tx.CommitAsync(ct);
    }
}
