using ClinicPortal.Features.Privacy;
using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Messages;

/// <summary>
/// A text's body at rest (docs/privacy.md). While a text waits to be sent its body is in clear (the dispatcher needs it,
/// for seconds); once it is done with (sent, delivered, failed, opted out, not sent…) the dispatcher seals it under the
/// recipient's data key (DataKeys.ForTextAsync) and the body column reads "[sealed]". Staff pages, the subject-access
/// export and a resend open it again; after the patient's erasure it reads "[erased]".
/// </summary>
public static class TextBodies
{
    public const string SealedMarker = "[sealed]";

    public static string Record(Guid messageId) => "sms:" + messageId;

    /// <summary>Seals the body of a text that is done with; does nothing to one still waiting, or already sealed, erased or removed.</summary>
    public static async Task SealAsync(NpgsqlConnection conn, NpgsqlTransaction tx, DataKeys keys, Guid clinic, Guid messageId, CancellationToken ct = default)
    {
        if (!keys.CanSeal) return;
        var m = await conn.Command("select to_phone, call_id, body from sms_messages where id = @id and status not in ('queued', 'sending') " +
                                   "and body_sealed is null and body not like '[%' for update", tx)
            .With("id", messageId).FirstOrDefaultAsync(r => (To: r.Value<string>(0), CallId: r.Value<string>(1), Body: r.GetString(2)), ct);
        if (m.Body is null) return;
        var key = await keys.ForTextAsync(conn, tx, clinic, m.To, m.CallId, ct);
        await conn.Command("update sms_messages set body_sealed = @sealed, data_key_id = @key, body = @marker where id = @id", tx)
            .With("sealed", keys.Seal(m.Body, key, clinic, Record(messageId))).With("key", key.Id).With("marker", SealedMarker)
            .With("id", messageId).RunAsync(ct);
    }

    /// <summary>The body as sent (with {token} for a confirmation's link): opened from its seal, "[erased]" when its key is gone.</summary>
    public static async Task<string> OpenAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, DataKeys keys, Guid clinic, Guid messageId, string body,
        byte[]? sealedBody, CancellationToken ct = default) =>
        sealedBody is null ? body : await keys.OpenAsync(conn, tx, sealedBody, clinic, Record(messageId), ct) ?? "[erased]";
}
