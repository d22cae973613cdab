using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using Dapper;

namespace ClinicPortal.Features.Messages;

public sealed class MessageRow
{
    public Guid Id { get; init; }
    public string Kind { get; init; } = "";
    public string ToPhone { get; init; } = "";
    public string? PatientName { get; init; }
    public string Body { get; init; } = "";
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
public sealed class MessageStore(ClinicDb db)
{
    /// <summary>One page of the clinic's texts (newest first unless asked otherwise), filtered by number and status, and how many match.</summary>
    public async Task<(IReadOnlyList<MessageRow> Rows, int Total)> SearchAsync(Guid clinic, string? phone, string? status, int skip, int take,
        bool oldestFirst = false, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var grid = await conn.QueryForClinicAsync($"""
            select m.id, m.kind, m.to_phone as ToPhone, p.name as PatientName, m.body, m.status, m.attempts, m.error_code as ErrorCode,
                   m.error_message as ErrorMessage, m.twilio_status as TwilioStatus, m.created_at as CreatedAt, m.sent_at as SentAt,
                   m.resent_from as ResentFrom
              from sms_messages m
              left join patients p on p.clinic_id = m.clinic_id and p.phone = m.to_phone
             where {Where}
             order by m.created_at {(oldestFirst ? "asc" : "desc")}, m.id limit @take offset @skip;
            select count(*) from sms_messages m where {Where};
            """, new { clinic, phone, status, skip, take = Math.Clamp(take, 1, 200) });
        var rows = (await grid.ReadAsync<MessageRow>()).ToList();
        return (rows, (int)await grid.ReadSingleAsync<long>());
    }

    private const string Where = "(@phone::text is null or m.to_phone = @phone) and (@status::text is null or m.status = @status)";

    /// <summary>outcome: queued, not_found, not_resendable, appointment_not_pending or already_resent.</summary>
    public async Task<string> ResendAsync(Guid clinic, Guid message, string actor, CancellationToken ct = default)
    {
        return await db.RunAsync(async conn =>
        {
            await using var grid = await conn.QueryForClinicAsync("select outcome from resend_sms(@message, @actor)", new { clinic, message, actor });
            return await grid.ReadSingleAsync<string>();
        }, ct);
    }

    public static string Explain(string outcome) => outcome switch
    {
        "queued" => "Queued again: it goes out in a moment.",
        "not_found" => "That message no longer exists.",
        "not_resendable" => "Only a failed, undelivered or unsent message can be resent.",
        "appointment_not_pending" => "The appointment is no longer waiting for confirmation, so its link is not resent.",
        "already_resent" => "This message was resent already; resend the newer one if it failed too.",
        _ => outcome,
    };
}
