using System.Security.Cryptography;
using System.Text;
using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using Dapper;

namespace ClinicPortal.Features.Appointments;

public sealed record ConfirmationResult(string Outcome, DateTime? StartsAt, string? Provider, string? ClinicName, string? ClinicPhone, string? TimeZone);

/// <summary>
/// Opening a confirmation link (/c/{token}): the token is the confirmation text's ref (see
/// 0008_messages.sql). Only its SHA-256 is looked up; it names its clinic, and the confirmation runs
/// under that clinic's row-level security. Single purpose (it confirms one appointment), expiring.
/// </summary>
public sealed class AppointmentConfirmations(ClinicDb db)
{
    public async Task<ConfirmationResult> ConfirmAsync(string token, CancellationToken ct = default)
    {
        var invalid = new ConfirmationResult("invalid", null, null, null, null, null);
        if (token.Length is < 16 or > 64) return invalid;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        return await db.RunAsync(async conn =>
        {
            if (await conn.ExecuteScalarAsync<Guid?>("select confirmation_token_clinic(@hash)", new { hash }) is not { } clinic) return invalid;
            await using var grid = await conn.QueryForClinicAsync("""
                select c.outcome, c.starts_at as StartsAt, c.provider_name as Provider, k.name as ClinicName, k.phone as ClinicPhone, k.time_zone as TimeZone
                  from confirm_by_token(@hash) c, clinics k where k.id = @clinic
                """, new { clinic, hash });
            return await grid.ReadSingleAsync<ConfirmationResult>();
        }, ct);
    }
}
