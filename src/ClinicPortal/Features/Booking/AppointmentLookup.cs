using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Booking;

public sealed record LiveAppointment(Guid Id, Guid ProviderId, string ProviderSlug, string ProviderName, string PatientPhone,
    DateTime StartsAt, int DurationMinutes, int BufferAfterMinutes, string? ProcedureName);

/// <summary>
/// Finds a live appointment by confirmation code and the caller's phone. A wrong phone reads exactly
/// like an unknown code, so the pair cannot be probed one half at a time.
/// </summary>
public static class AppointmentLookup
{
    private const string Sql = """
        select name, time_zone as TimeZone, min_notice_minutes as MinNoticeMinutes, phone from clinics where id = @clinic;
        select a.id, a.provider_id as ProviderId, pv.slug as ProviderSlug, pv.name as ProviderName, pt.phone as PatientPhone,
               a.starts_at as StartsAt,
               coalesce(pr.duration_minutes, extract(epoch from a.ends_at - a.starts_at)::int / 60) as DurationMinutes,
               coalesce(pr.buffer_after_minutes, 0) as BufferAfterMinutes, pr.name as ProcedureName
          from appointments a
          join patients pt on pt.clinic_id = a.clinic_id and pt.id = a.patient_id
          join providers pv on pv.clinic_id = a.clinic_id and pv.id = a.provider_id
          left join procedures pr on pr.clinic_id = a.clinic_id and pr.id = a.procedure_id
         where a.confirmation_code = @code and a.status in ('pending', 'confirmed');
        """;

    public static async Task<(ClinicInfo Clinic, LiveAppointment? Appointment)> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx,
        Guid clinic, string code, string phone)
    {
        await using var grid = await conn.QueryForClinicAsync(Sql, new { clinic, code = ConfirmationCode.Normalize(code) }, tx);
        var info = await grid.ReadSingleAsync<ClinicInfo>();
        var found = await grid.ReadSingleOrDefaultAsync<LiveAppointment>();
        var normalized = PhoneNumber.Normalize(phone, info.Phone);
        return (info, found is not null && normalized == found.PatientPhone ? found : null);
    }
}
