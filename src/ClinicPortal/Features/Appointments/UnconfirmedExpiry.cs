using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Appointments;

/// <summary>
/// Gives back the slots of voice bookings nobody confirmed: when a booking's confirmation link expires unused (three days,
/// or the appointment's start), it is cancelled with an audit row and a cancellation event, in clinics that have this on
/// (clinics.expire_unconfirmed, in settings). Runs every minute on every instance; each cancellation is decided in the
/// database (expire_unconfirmed, 0014_safe_texts_and_links.sql), so two instances never cancel one twice.
/// </summary>
public sealed class UnconfirmedExpiry(ClinicDb db, IConfiguration config, ILogger<UnconfirmedExpiry> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(config.GetValue("Appointments:ExpirySweepSeconds", 60.0)));
        while (await timer.WaitForNextTickAsync(stop))
        {
            try { await SweepAsync(stop); }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                log.LogWarning(e, "Could not look for expired unconfirmed bookings; trying again in a minute");
            }
        }
    }

    /// <summary>Cancels what is due; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken ct = default)
    {
        List<(Guid Clinic, Guid Appointment)> due;
        await using (var conn = await db.OpenAsync(ct))
            due = await conn.Command("select clinic_id, appointment_id from unconfirmed_expired(100)").ListAsync(r => (r.GetGuid(0), r.GetGuid(1)), ct);
        var cancelled = 0;
        foreach (var (clinic, appointment) in due)
            if (await db.RunAsync(conn => conn.ForClinic(clinic, "select expire_unconfirmed(@id)").With("id", appointment).ScalarAsync<bool>(ct), ct))
                cancelled++;
        if (cancelled > 0) log.LogInformation("Cancelled {Count} voice booking(s) whose confirmation link expired unused", cancelled);
        return cancelled;
    }
}
