using ClinicPortal.Features.Events;
using ClinicPortal.Shared;
using ClinicPortal.Infrastructure.Database;
using NodaTime;
using Npgsql;

namespace ClinicPortal.Features.Booking;

/// <summary>Who is asking: the audit actor, the source (voice or staff), and for Vapi the tool call and call ids.</summary>
public sealed record Requester(string Actor, string Source, string? ToolCallId = null, string? CallId = null);

/// <summary>
/// For a tool call: how the voice agent's answers are worded (the tools own the wording), stored with the outcome in the
/// same statement (docs/design.md, Idempotency). Taken is stored first when the slot is lost, then replaced by Conflict
/// once the alternatives are known; NotFound when the appointment to move is gone.
/// </summary>
public sealed record ToolAnswers(Func<BookingOutcome.Booked, string> Booked, Func<BookingOutcome.Conflict, string> Conflict,
    Func<ProviderRef, RequestedSlot, ClinicInfo, string> Taken, string NotFound);

public sealed record BookingRequest(string Provider, LocalDate Date, LocalTime Time, string? Procedure, string PatientName, string PatientPhone,
    string? Notes = null);

public abstract record BookingOutcome
{
    public sealed record Booked(Guid AppointmentId, string Code, ProviderRef Provider, string? Procedure, RequestedSlot Slot, ClinicInfo Clinic, string? Result)
        : BookingOutcome;
    public sealed record Conflict(ProviderRef Provider, RequestedSlot Slot, IReadOnlyList<Slot> Alternatives, ClinicInfo Clinic, string? Result)
        : BookingOutcome;
    public sealed record Invalid(string Reason) : BookingOutcome;
    /// <summary>The same tool call was answered before: its stored result.</summary>
    public sealed record Replay(string Result) : BookingOutcome;
}

/// <summary>
/// The one booking path, for the voice agent and for staff alike: check the request against what the
/// database cannot know (clock, hours, time off, daylight saving), then one call to book_appointment,
/// whose exclusion constraint decides conflicts. Alternatives are computed only after a conflict.
/// </summary>
public sealed class Booker(ClinicDb db, CatalogueCache catalogue, IClock clock, Privacy.DataKeys keys, Messages.SmsTexts texts, Messages.LinkTokens links,
    Operations.ClinicMetrics metrics)
{
    // Each statement commits on its own in one round trip (the hot path); the unit of work wakes listeners when the booking is done.
    // A booking holds one pooled connection and never asks for a second while it does: with a small pool, requests that each
    // wait for a second connection would wait on each other. So the confirmation link (whose key may need loading) is made
    // first, and the note is sealed on the same connection.
    public async Task<BookingOutcome> BookAsync(Guid clinic, BookingRequest r, Requester who, ToolAnswers? answers = null, CancellationToken ct = default)
    {
        var link = who.Source == "voice" ? await links.NewAsync(ct) : default;
        return Counted(await db.RunAsync(conn => BookOnAsync(conn, clinic, r, who, answers, link), ct), "booked", who.Source);
    }

    public async Task<BookingOutcome> RescheduleAsync(Guid clinic, AppointmentKey key, LocalDate date, LocalTime time, Requester who,
        ToolAnswers? answers = null, CancellationToken ct = default) =>
        Counted(await db.RunAsync(conn => RescheduleOnAsync(conn, clinic, key, date, time, who, answers), ct), "rescheduled", who.Source);

    /// <summary>The outcome, counted in clinicportal.appointments (a replayed tool call was counted the first time).</summary>
    private BookingOutcome Counted(BookingOutcome outcome, string done, string source)
    {
        if (outcome is BookingOutcome.Booked) metrics.Appointment(done, source);
        else if (outcome is BookingOutcome.Conflict) metrics.Appointment("conflict", source);
        return outcome;
    }

    /// <summary>
    /// Checked against the clinic's catalogue in memory, then booked in one round trip whose first statement checks that
    /// catalogue is still current. A refusal, or a catalogue that changed, is checked again on a fresh read of it.
    /// </summary>
    private async Task<BookingOutcome> BookOnAsync(Npgsql.NpgsqlConnection conn, Guid clinic, BookingRequest r, Requester who, ToolAnswers? answers,
        (string Ref, byte[] TokenHash) link)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (c, kept) = await catalogue.ContextAsync(conn, clinic, r.Provider, r.Procedure, r.Date, fresh: attempt > 1);
            try
            {
                var outcome = await BookOnAsync(conn, clinic, r, who, answers, link, c);
                if (outcome is BookingOutcome.Invalid && kept) continue;
                return outcome;
            }
            catch (PostgresException e) when (e.SqlState == CatalogueCache.Changed && attempt < 3) { }
        }
    }

    private async Task<BookingOutcome> BookOnAsync(Npgsql.NpgsqlConnection conn, Guid clinic, BookingRequest r, Requester who, ToolAnswers? answers,
        (string Ref, byte[] TokenHash) link, BookingContext c)
    {
        if (c.Provider is not { } provider) return new BookingOutcome.Invalid($"this clinic has no provider '{r.Provider}'");
        if (r.Procedure is not null && c.Procedure is null) return new BookingOutcome.Invalid($"this clinic does not offer '{r.Procedure}'");
        var checkedPhone = Phone.Check(r.PatientPhone, c.Clinic.Country);
        if (checkedPhone is PhoneCheck.Invalid badPhone) return new BookingOutcome.Invalid(badPhone.Reason);
        var valid = (PhoneCheck.Valid)checkedPhone;
        var (phone, textable) = (valid.E164, valid.TextableFor(c.Clinic.SmsAnyCountry));
        var now = clock.GetCurrentInstant();
        var (slot, invalid) = BookingRules.Check(c.Clinic, c.Hours, c.TimeOff, r.Date, r.Time, c.Length, c.Buffer, now);
        if (slot is null) return new BookingOutcome.Invalid(invalid!);

        var id = Guid.CreateVersion7();
        // A voice booking stays pending until the patient opens the link in this text (staff bookings are confirmed).
        // A landline (or, unless the clinic allows it, a foreign mobile) gets no text: the booking stays pending for staff to confirm.
        ConfirmationText? confirmation = null;
        if (who.Source == "voice" && textable)
            confirmation = new(texts.Confirmation(c.Clinic, provider.Name, slot.Starts), link.Ref, link.TokenHash);
        // Medical free text: redacted, then sealed under the patient's data key for this appointment only (dropped when no key is configured).
        var note = r.Notes is { Length: > 0 } text && keys.CanSeal ? await SealNoteAsync(conn, clinic, r.PatientName.Trim(), phone, Privacy.PiiRedactor.Redact(text), id) : null;
        var detail = new AppointmentEventPayload(Provider: provider.Slug, ProviderName: provider.Name, Procedure: c.Procedure?.Name, Source: who.Source,
            CallId: who.CallId, Attempt: id);
        var placeholder = answers?.Taken(provider, slot, c.Clinic) ?? "";
        BookingOutcome.Booked Booked(string code, string? result) => new(id, code, provider, c.Procedure?.Name, slot, c.Clinic, result);
        var (outcome, stored, code, taken) = await BookingStore.BookAsync(conn, clinic, who.ToolCallId, who.CallId,
            code => new NewAppointment(id, code, provider, c.Procedure?.Id, slot, r.PatientName.Trim(), phone, who.Source, who.Actor, detail, note,
                confirmation),
            a => answers?.Booked(Booked(a.Code, null)) ?? "", placeholder, ScheduleStore.Window(r.Date, BookingStore.AlternativeDays), c.CatalogueVersion!.Value);
        if (outcome == "replay") return new BookingOutcome.Replay(stored);
        if (outcome == "booked") return Booked(code, stored);

        // The provider's week came back with the conflict: the alternatives need no read of their own.
        var alternatives = BookingStore.Alternatives(c.Clinic, [provider], c.Hours, [.. c.TimeOff, .. taken], r.Date, slot.Starts, c.Length, c.Buffer, now);
        return await ConflictAsync(conn, clinic, who, answers, id, new BookingOutcome.Conflict(provider, slot, alternatives, c.Clinic, null));
    }

    /// <summary>
    /// A note sealed under the patient's data key. The patient's record (and key) is made here if this is their first
    /// booking, in a transaction of its own on the booking's connection: only bookings with a note pay it.
    /// </summary>
    private async Task<byte[]> SealNoteAsync(Npgsql.NpgsqlConnection conn, Guid clinic, string name, string phone, string note, Guid appointment)
    {
        await using var tx = await conn.BeginTransactionAsync();
        await conn.ForClinic(clinic, "insert into patients (clinic_id, name, phone) values (@clinic, @name, @phone) on conflict (clinic_id, phone) do nothing", tx)
            .With("name", name).With("phone", phone).RunAsync();
        var patient = await conn.Command("select id from patients where phone = @phone", tx).With("phone", phone).ScalarAsync<Guid>();
        var key = await keys.ForPatientAsync(conn, tx, clinic, patient);
        await tx.CommitAsync();
        return keys.Seal(note, key, clinic, appointment.ToString());
    }

    /// <summary>Moves a live appointment (found by the caller's code and phone, or by id for staff).</summary>
    private async Task<BookingOutcome> RescheduleOnAsync(Npgsql.NpgsqlConnection conn, Guid clinic, AppointmentKey key, LocalDate date, LocalTime time,
        Requester who, ToolAnswers? answers)
    {
        var (info, a) = await AppointmentLookup.FindAsync(conn, null, clinic, key);
        if (a is null) return new BookingOutcome.Invalid(AppointmentLookup.NotFound);
        var c = await BookingContext.LoadAsync(conn, clinic, a.ProviderSlug, null, date);
        var length = Duration.FromMinutes(a.DurationMinutes);
        var buffer = Duration.FromMinutes(a.BufferAfterMinutes);
        var now = clock.GetCurrentInstant();
        var (slot, invalid) = BookingRules.Check(info, c.Hours, c.TimeOff, date, time, length, buffer, now);
        if (slot is null) return new BookingOutcome.Invalid(invalid!);

        var provider = new ProviderRef(a.ProviderId, a.ProviderSlug, a.ProviderName);
        var moved = new BookingOutcome.Booked(a.Id, a.Code, provider, a.ProcedureName, slot, info, null);
        var attempt = Guid.CreateVersion7();
        var detail = new AppointmentEventPayload(Provider: a.ProviderSlug, ProviderName: a.ProviderName, Procedure: a.ProcedureName,
            PreviousStartsAt: new DateTimeOffset(DateTime.SpecifyKind(a.StartsAt, DateTimeKind.Utc)), PatientName: a.PatientName, Source: who.Source,
            CallId: who.CallId, Attempt: attempt);
        var placeholder = answers?.Taken(provider, slot, info) ?? "";
        var (outcome, stored) = await BookingStore.RescheduleAsync(conn, clinic, who.ToolCallId, who.CallId, who.Actor, a.Id, a.ProviderId, slot, detail,
            answers?.Booked(moved) ?? "", placeholder, answers?.NotFound ?? "");
        if (outcome == "replay") return new BookingOutcome.Replay(stored);
        if (outcome == "not_found") return new BookingOutcome.Invalid(AppointmentLookup.NotFound);
        if (outcome == "rescheduled") return moved with { Result = stored };

        var alternatives = await BookingStore.AlternativesAsync(conn, clinic, a.ProviderId, date, slot.Starts, length, buffer, now);
        return await ConflictAsync(conn, clinic, who, answers, attempt, new BookingOutcome.Conflict(provider, slot, alternatives, info, null));
    }

    /// <summary>
    /// After a conflict, in one round trip: the event that tells the collisions feed what the loser was
    /// offered (keyed to the attempt), and for a tool call its stored answer, now with the alternatives.
    /// </summary>
    private static async Task<BookingOutcome.Conflict> ConflictAsync(Npgsql.NpgsqlConnection conn, Guid clinic, Requester who, ToolAnswers? answers,
        Guid attempt, BookingOutcome.Conflict conflict)
    {
        var text = answers is not null && who.ToolCallId is not null ? answers.Conflict(conflict) : null;
        await conn.ForClinic(clinic, """
            select emit_event('alternatives_offered', @offered::jsonb); -- EventKinds.AlternativesOffered
            update tool_calls set result = @text where clinic_id = @clinic and tool_call_id = @toolCallId and @text::text is not null;
            """).With("text", text).With("toolCallId", who.ToolCallId)
            .With("offered", EventPayloads.Serialize(new AlternativesOfferedPayload(attempt, conflict.Alternatives.Select(x => x.Starts.ToDateTimeOffset()).ToList())))
            .RunAsync();
        return conflict with { Result = text };
    }
}
