using ClinicPortal.Shared;
using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Booking;

public sealed record LiveAppointment(Guid Id, string Code, Guid ProviderId, string ProviderSlug, string ProviderName, string PatientName,
    string PatientPhone, DateTime StartsAt, int DurationMinutes, int BufferAfterMinutes, string? ProcedureName);

/// <summary>How an appointment is named: by a caller (confirmation code and their phone) or by staff (its id).</summary>
public abstract record AppointmentKey
{
    public sealed record ByCode(string Code, string Phone) : AppointmentKey;
    public sealed record ById(Guid Id) : AppointmentKey;
}

/// <summary>
/// Finds a live (pending or confirmed) appointment. A caller's wrong phone reads exactly like an
/// unknown code, so the pair cannot be probed one half at a time.
/// </summary>
public static class AppointmentLookup
{
    public const string NotFound = "No live appointment matches that confirmation code and phone number.";

    private const string Sql = ScheduleRows.ClinicSql + """
        select a.id, a.confirmation_code, a.provider_id, pv.slug, pv.name, pt.name, pt.phone, a.starts_at,
               coalesce(pr.duration_minutes, extract(epoch from a.ends_at - a.starts_at)::int / 60),
               coalesce(pr.buffer_after_minutes, 0), pr.name
          from appointments a
          join patients pt on pt.clinic_id = a.clinic_id and pt.id = a.patient_id
          join providers pv on pv.clinic_id = a.clinic_id and pv.id = a.provider_id
          left join procedures pr on pr.clinic_id = a.clinic_id and pr.id = a.procedure_id
         where (a.confirmation_code = @code or a.id = @id) and a.status in ('pending', 'confirmed');
        """;

    public static async Task<(ClinicInfo Clinic, LiveAppointment? Appointment)> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx,
        Guid clinic, AppointmentKey key)
    {
        var (code, id) = key switch
        {
            AppointmentKey.ByCode c => (ConfirmationCode.Normalize(c.Code), (Guid?)null),
            AppointmentKey.ById i => (null, i.Id),
            _ => throw new ArgumentOutOfRangeException(nameof(key)),
        };
        await using var cmd = conn.ForClinic(clinic, Sql, tx).With("code", code).With("id", id);
        await using var reader = await cmd.ReaderAsync();
        var info = (await reader.RowsAsync(ScheduleRows.Clinic)).Single();
        var found = (await reader.RowsAsync(r => new LiveAppointment(r.GetGuid(0), r.GetString(1), r.GetGuid(2), r.GetString(3), r.GetString(4),
            r.GetString(5), r.GetString(6), r.GetDateTime(7), r.GetInt32(8), r.GetInt32(9), r.Value<string>(10)))).SingleOrDefault();
        if (found is null || key is not AppointmentKey.ByCode byCode) return (info, found);
        return (info, Phone.Normalize(byCode.Phone, info.Country) == found.PatientPhone ? found : null);
    }
}
