using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using NodaTime;
using Npgsql;

namespace ClinicPortal.Features.Booking;

public sealed record NewAppointment(
    Guid Id, string Code, ProviderRef Provider, Guid? ProcedureId, RequestedSlot Slot,
    string PatientName, string PatientPhone, string Source, string Actor, AppointmentEventPayload Detail, byte[]? Notes = null,
    ConfirmationText? Confirmation = null);

/// <summary>A voice booking's confirmation text: its body (with {token}), its ref, and the hash of its link's token (LinkTokens).</summary>
public sealed record ConfirmationText(string Body, string Ref, byte[] TokenHash);

/// <summary>
/// Calls the booking and reschedule functions (db/migrations/0004_booking.sql), one round trip each. A booking's batch
/// first checks that the catalogue it was checked against is current (catalogue_is, 0029: CatalogueCache). A voice
/// booking's confirmation text is queued in the same implicit transaction (0008_messages.sql): only when
/// the appointment row with this attempt's id exists, which is exactly when this attempt booked. When it does not,
/// the same round trip reads the provider's appointments over the alternatives' window, for the loser's alternatives.
/// </summary>
public static class BookingStore
{
    private const int Attempts = 3;

    private const string BookSql = """
        select catalogue_is(@version);
        select outcome, result from book_appointment(
            @toolCallId, @callId, @actor, @source::appointment_source, @id, @code, @providerId, @procedureId,
            @starts, @ends, @blocked, @patientName, @patientPhone, @notes, @detail::jsonb, @bookedResult, @conflictResult);
        select queue_sms('confirmation', 'confirmation:' || @id::text, @patientPhone, @confirmationSms, @callId, @id, @actor, null, @ref, @tokenHash)
          from appointments where clinic_id = @clinic and id = @id and @confirmationSms::text is not null;
        select provider_id, starts_at, blocked_until from appointments
         where status <> 'cancelled' and provider_id = @providerId and blocked_until > @from and starts_at < @to
           and not exists (select 1 from appointments where clinic_id = @clinic and id = @id);
        """;

    private const string RescheduleSql = """
        select outcome, result from reschedule_appointment(
            @toolCallId, @callId, @actor, @appointmentId, @providerId, @starts, @ends, @blocked, @detail::jsonb,
            @rescheduledResult, @conflictResult, @notFoundResult);
        """;

    /// <summary>The days alternatives are looked for in, from the day asked for.</summary>
    public const int AlternativeDays = 7;

    /// <summary>
    /// outcome is booked, conflict or replay (result is then the stored answer). A taken confirmation
    /// code gets a new one; a deadlock or serialization failure is retried as a backstop. Taken: on a conflict, the
    /// provider's appointments over the alternatives' window (from, to). A PostgresException with CatalogueCache.Changed
    /// when the clinic's catalogue is no longer at catalogueVersion: nothing was written.
    /// </summary>
    public static async Task<(string Outcome, string Result, string Code, IReadOnlyList<BusySpan> Taken)> BookAsync(NpgsqlConnection conn, Guid clinic,
        string? toolCallId, string? callId, Func<string, NewAppointment> appointment, Func<NewAppointment, string> bookedResult, string conflictResult,
        (Instant From, Instant To) window, long catalogueVersion)
    {
        for (var attempt = 1; ; attempt++)
        {
            var a = appointment(ConfirmationCode.New());
            try
            {
                await using var cmd = conn.ForClinic(clinic, BookSql)
                    .With("toolCallId", toolCallId).With("callId", callId).With("actor", a.Actor).With("source", a.Source)
                    .With("id", a.Id).With("code", a.Code).With("providerId", a.Provider.Id).With("procedureId", a.ProcedureId)
                    .With("starts", a.Slot.Starts.ToDateTimeUtc()).With("ends", a.Slot.Ends.ToDateTimeUtc())
                    .With("blocked", a.Slot.BlockedUntil.ToDateTimeUtc()).With("patientName", a.PatientName).With("patientPhone", a.PatientPhone)
                    .With("notes", a.Notes).With("detail", EventPayloads.Serialize(a.Detail)).With("bookedResult", bookedResult(a))
                    .With("conflictResult", conflictResult).With("confirmationSms", a.Confirmation?.Body)
                    .With("ref", a.Confirmation?.Ref).With("tokenHash", a.Confirmation?.TokenHash)
                    .With("from", window.From.ToDateTimeUtc()).With("to", window.To.ToDateTimeUtc()).With("version", catalogueVersion);
                await using var reader = await cmd.ReaderAsync();
                await reader.RowsAsync(r => 0); // catalogue_is: it stops the batch (CatalogueCache.Changed) when the catalogue changed
                var (outcome, result) = (await reader.RowsAsync(r => (r.GetString(0), r.GetString(1)))).Single();
                await reader.RowsAsync(r => 0); // the confirmation text, queued in the same implicit transaction when booked
                var taken = await reader.RowsAsync(ScheduleRows.Span); // none when this attempt booked
                return (outcome, result, a.Code, taken);
            }
            catch (PostgresException e) when (attempt < Attempts && IsRetryable(e)) { }
        }
    }

    public static async Task<(string Outcome, string Result)> RescheduleAsync(NpgsqlConnection conn, Guid clinic, string? toolCallId,
        string? callId, string actor, Guid appointmentId, Guid providerId, RequestedSlot slot, AppointmentEventPayload detail,
        string rescheduledResult, string conflictResult, string notFoundResult)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return (await conn.ForClinic(clinic, RescheduleSql)
                    .With("toolCallId", toolCallId).With("callId", callId).With("actor", actor).With("appointmentId", appointmentId)
                    .With("providerId", providerId).With("starts", slot.Starts.ToDateTimeUtc()).With("ends", slot.Ends.ToDateTimeUtc())
                    .With("blocked", slot.BlockedUntil.ToDateTimeUtc()).With("detail", EventPayloads.Serialize(detail))
                    .With("rescheduledResult", rescheduledResult).With("conflictResult", conflictResult).With("notFoundResult", notFoundResult)
                    .ListAsync(r => (r.GetString(0), r.GetString(1)))).Single();
            }
            catch (PostgresException e) when (attempt < Attempts && (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)) { }
        }
    }

    private static bool IsRetryable(PostgresException e) =>
        e.SqlState is "CP001" or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure;

    /// <summary>Up to three free times for the same provider nearest to the one that was taken (its schedule read here).</summary>
    public static async Task<IReadOnlyList<Slot>> AlternativesAsync(NpgsqlConnection conn, Guid clinic, Guid providerId,
        LocalDate day, Instant wanted, Duration length, Duration buffer, Instant now)
    {
        var (from, to) = ScheduleStore.Window(day, AlternativeDays);
        var s = await ScheduleStore.LoadAsync(conn, null, clinic, providerId, from, to);
        return Alternatives(s.Clinic, s.Providers, s.Hours, s.Busy, day, wanted, length, buffer, now);
    }

    /// <summary>The same from a schedule at hand: busy holds the provider's time off and appointments over the window.</summary>
    public static IReadOnlyList<Slot> Alternatives(ClinicInfo clinic, IReadOnlyList<ProviderRef> providers, IReadOnlyList<HoursRow> hours,
        IReadOnlyList<BusySpan> busy, LocalDate day, Instant wanted, Duration length, Duration buffer, Instant now) =>
        SlotFinder.Nearest(new SlotFinder.Request(clinic.Zone, providers, hours, busy, length, buffer, clinic.EarliestStart(now)),
            day, AlternativeDays, wanted, 3);
}
