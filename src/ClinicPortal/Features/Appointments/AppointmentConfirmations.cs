using System.Security.Cryptography;
using System.Text;
using ClinicPortal.Infrastructure.Database;
using Microsoft.EntityFrameworkCore;

namespace ClinicPortal.Features.Appointments;

public sealed record ConfirmationResult(string Outcome, DateTime? StartsAt, string? Provider, string? ClinicName, string? ClinicPhone, string? TimeZone);

/// <summary>
/// A confirmation link (/c/{token}; the token is made from the text's ref, Messages.LinkTokens). Only its SHA-256 is looked
/// up; it names its clinic, and everything runs under that clinic's row-level security. Opening the link (GET) only shows
/// the appointment (PreviewAsync, outcome 'pending' while it can be confirmed): link previewers and virus scanners fetch
/// links too. The patient's Confirm button posts (ConfirmAsync). Single purpose, expiring.
/// </summary>
public sealed class AppointmentConfirmations(ClinicDb db)
{
    private static readonly ConfirmationResult Invalid = new("invalid", null, null, null, null, null);

    public Task<ConfirmationResult> PreviewAsync(string token, CancellationToken ct = default) =>
        RunAsync(token, "preview_by_token", write: false, ct);

    public Task<ConfirmationResult> ConfirmAsync(string token, CancellationToken ct = default) =>
        RunAsync(token, "confirm_by_token", write: true, ct);

    private async Task<ConfirmationResult> RunAsync(string token, string function, bool write, CancellationToken ct)
    {
        if (token.Length is < 16 or > 64) return Invalid;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        var found = await db.ReadUnscopedAsync(data => data.Database
            .SqlQuery<Guid?>($"select confirmation_token_clinic({hash}) as \"Value\"").ToListAsync(ct), ct);
        if (found.SingleOrDefault() is not { } clinic) return Invalid;
        // function is one of the two names above, never input.
        var sql = $"""
            select c.outcome, c.starts_at, c.provider_name as provider, k.name as clinic_name, k.phone as clinic_phone, k.time_zone
              from {function}(@hash) c, clinics k where k.id = @clinic
            """;
        async Task<ConfirmationResult> Query(ClinicData data) =>
            (await data.Database.SqlQueryRaw<ConfirmationResult>(sql, new Npgsql.NpgsqlParameter("hash", hash),
                new Npgsql.NpgsqlParameter("clinic", clinic)).ToListAsync(ct)).SingleOrDefault() ?? Invalid;
        return write ? await db.WriteDataAsync(clinic, Query, ct) : await db.ReadDataAsync(clinic, Query, ct);
    }
}
