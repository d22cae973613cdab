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

    private const string Sql = """
        select name, time_zone as TimeZone, min_notice_minutes as MinNoticeMinutes, phone, country from clinics where id = @clinic;
        select a.id, a.confirmation_code as Code, a.provider_id as ProviderId, pv.slug as ProviderSlug, pv.name as ProviderName,
               pt.name as PatientName, pt.phone as PatientPhone, a.starts_at as StartsAt,
               coalesce(pr.duration_minutes, extract(epoch from a.ends_at - a.starts_at)::int / 60) as DurationMinutes,
               coalesce(pr.buffer_after_minutes, 0) as BufferAfterMinutes, pr.name as ProcedureName
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
        await using var grid = await conn.QueryForClinicAsync(Sql, new { clinic, code, id }, tx);
        var info = await grid.ReadSingleAsync<ClinicInfo>();
        var found = await grid.ReadSingleOrDefaultAsync<LiveAppointment>();
        if (found is null || key is not AppointmentKey.ByCode byCode) return (info, found);
        return (info, Phone.Normalize(byCode.Phone, info.Country) == found.PatientPhone ? found : null);
    }
}
