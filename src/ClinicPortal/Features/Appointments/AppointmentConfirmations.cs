using System.Security.Cryptography;
using System.Text;
using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using Microsoft.EntityFrameworkCore;

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
        var found = await db.ReadUnscopedAsync(data => data.Database
            .SqlQuery<Guid?>($"select confirmation_token_clinic({hash}) as \"Value\"").ToListAsync(ct), ct);
        if (found.SingleOrDefault() is not { } clinic) return invalid;
        return await db.WriteDataAsync(clinic, async data => (await data.Database.SqlQuery<ConfirmationResult>($"""
            select c.outcome, c.starts_at, c.provider_name as provider, k.name as clinic_name, k.phone as clinic_phone, k.time_zone
              from confirm_by_token({hash}) c, clinics k where k.id = {clinic}
            """).ToListAsync(ct)).Single(), ct);
    }
}
