using System.Text.Json;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Calls;

/// <summary>
/// Vapi's transfer-destination-request: the caller asked for a person. The answer is the clinic's transfer number
/// (clinics.transfer_phone, else the clinic's phone) as a number destination, with what the agent says while it dials.
/// The request is audited and the call shows as transferred on the calls board. A clinic with no number gets an error
/// the agent can say.
/// </summary>
public sealed class Transfers(ClinicDb db)
{
    public sealed record Destination(string Type, string Number, string Message);

    public async Task<(Destination? Destination, string? Error)> DestinationAsync(Guid clinic, string? callId, CancellationToken ct) =>
        await db.WriteAsync(clinic, async (conn, tx) =>
        {
            var (name, number) = await conn.Command("select name, coalesce(transfer_phone, phone) from clinics where id = @clinic", tx)
                .With("clinic", clinic).FirstOrDefaultAsync(r => (r.GetString(0), r.Value<string>(1)), ct);
            if (number is null) return ((Destination?)null, (string?)"This clinic has no number to transfer to. Offer to take a message and have staff call back.");
            await conn.Command("""
                select audit(@actor, 'call.transfer_requested', 'call', coalesce(@callId, 'unknown'), '{}');
                select emit_event('call', jsonb_build_object('call_id', @callId, 'status', 'forwarding'));
                """, tx).With("actor", callId is null ? "vapi" : "vapi:call:" + callId).With("callId", callId).RunAsync(ct);
            if (callId is not null)
                await conn.Command("""
                    insert into calls (clinic_id, call_id, status) values (@clinic, @callId, 'forwarding')
                    on conflict (clinic_id, call_id) do update set
                        status = case when call_status_rank('forwarding') > call_status_rank(calls.status) then 'forwarding' else calls.status end,
                        updated_at = now()
                    """, tx).With("clinic", clinic).With("callId", callId).RunAsync(ct);
            return (new Destination("number", number, $"Transferring you to {name} now, please hold."), null);
        }, ct);
}
