using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using Microsoft.EntityFrameworkCore;

namespace ClinicPortal.Features.Messages;

public sealed class MessageRow
{
    public Guid Id { get; init; }
    public string Kind { get; init; } = "";
    public string? ToPhone { get; init; } // null once the patient was erased
    public string? PatientName { get; init; }
    public string Body { get; set; } = "";
    public byte[]? BodySealed { get; init; }
    public string Status { get; init; } = "";
    public int Attempts { get; init; }
    public int? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
    public string? TwilioStatus { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? SentAt { get; init; }
    public Guid? ResentFrom { get; init; }
    public bool CanResend => Status is "failed" or "undelivered" or "not_sent";
}

/// <summary>The clinic's text messages for staff, newest first, and resending one that did not go.</summary>
public sealed class MessageStore(ClinicDb db, LinkTokens links, Privacy.DataKeys keys)
{
    /// <summary>One page of the clinic's texts (LINQ through EF Core), newest first unless asked otherwise, filtered by number and status, and how many match.</summary>
    public Task<(IReadOnlyList<MessageRow> Rows, int Total)> SearchAsync(Guid clinic, string? phone, string? status, int skip, int take,
        bool oldestFirst = false, CancellationToken ct = default) => db.ReadDataAsync(clinic, async data =>
    {
        var q = data.SmsMessages.AsQueryable();
        if (phone is not null) q = q.Where(m => m.ToPhone == phone);
        if (status is not null) q = q.Where(m => m.Status == status);
        var total = await q.CountAsync(ct);
        var rows = await (oldestFirst ? q.OrderBy(m => m.CreatedAt) : q.OrderByDescending(m => m.CreatedAt)).ThenBy(m => m.Id)
            .Skip(skip).Take(Math.Clamp(take, 1, 200))
            .Select(m => new MessageRow
            {
                // Staff never see a working link: a confirmation's token is masked.
                Id = m.Id, Kind = m.Kind, ToPhone = m.ToPhone, Body = m.Body.Replace(LinkTokens.Placeholder, LinkTokens.Mask), BodySealed = m.BodySealed,
                Status = m.Status, Attempts = m.Attempts, ErrorCode = m.ErrorCode,
                ErrorMessage = m.ErrorMessage, TwilioStatus = m.TwilioStatus, CreatedAt = m.CreatedAt, SentAt = m.SentAt, ResentFrom = m.ResentFrom,
                PatientName = m.ToPhone == null ? null : data.Patients.Where(p => p.Phone == m.ToPhone).Select(p => p.Name).FirstOrDefault(),
            })
            .ToListAsync(ct);
        if (rows.Any(r => r.BodySealed is not null))
        {
            // Sealed bodies opened in a read-only transaction of this clinic (its keys only).
            await db.ReadAsync(clinic, async (conn, tx) =>
            {
                foreach (var r in rows.Where(r => r.BodySealed is not null))
                    r.Body = (await TextBodies.OpenAsync(conn, tx, keys, clinic, r.Id, r.Body, r.BodySealed, ct)).Replace(LinkTokens.Placeholder, LinkTokens.Mask);
                return true;
            }, ct);
        }
        return ((IReadOnlyList<MessageRow>)rows, total);
    }, ct);

    /// <summary>outcome: queued, not_found, not_resendable, appointment_not_pending or already_resent.</summary>
    public async Task<string> ResendAsync(Guid clinic, Guid message, string actor, CancellationToken ct = default)
    {
        var (reference, tokenHash) = await links.NewAsync(ct); // a resent confirmation gets a new link
        return await db.WriteAsync(clinic, async (conn, tx) =>
        {
            // A sealed body is opened here and handed over with '{ref}' where its old ref was.
            var m = await conn.Command("select body, body_sealed, ref from sms_messages where id = @id for update", tx).With("id", message)
                .FirstOrDefaultAsync(r => (Body: r.GetString(0), Sealed: r.Value<byte[]>(1), Ref: r.GetString(2)), ct);
            var body = m.Sealed is null ? null
                : (await TextBodies.OpenAsync(conn, tx, keys, clinic, message, m.Body, m.Sealed, ct)).Replace(m.Ref, "{ref}");
            return (await conn.Command("select outcome from resend_sms(@message, @actor, @ref, @tokenHash, @body)", tx)
                .With("message", message).With("actor", actor).With("ref", reference).With("tokenHash", tokenHash)
                .With("body", body == "[erased]" ? null : body).ScalarAsync<string>(ct))!;
        }, ct);
    }

    public static string Explain(string outcome) => outcome switch
    {
        "queued" => "Queued again: it goes out in a moment.",
        "not_found" => "That message no longer exists.",
        "not_resendable" => "Only a failed, undelivered or unsent message can be resent.",
        "appointment_not_pending" => "The appointment is no longer waiting for confirmation, so its link is not resent.",
        "already_resent" => "This message was resent already; resend the newer one if it failed too.",
        "sealed" => "Its patient was erased: there is nothing to resend.",
        _ => outcome,
    };
}
