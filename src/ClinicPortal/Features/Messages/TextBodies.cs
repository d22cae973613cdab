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

    /// <summary>
    /// Seals the bodies of texts that are done with, in their clinic's transaction: a few round trips for any number of them.
    /// Does nothing to one still waiting, or already sealed, erased or removed.
    /// </summary>
    public static async Task SealAsync(NpgsqlConnection conn, NpgsqlTransaction tx, DataKeys keys, Guid clinic, IReadOnlyCollection<Guid> messageIds,
        CancellationToken ct = default)
    {
        if (!keys.CanSeal || messageIds.Count == 0) return;
        var texts = await conn.Command("select id, to_phone, call_id, body from sms_messages where id = any(@ids) and status not in ('queued', 'sending') " +
                                       "and body_sealed is null and body not like '[%' order by id for update", tx)
            .With("ids", messageIds.ToArray())
            .ListAsync(r => (Id: r.GetGuid(0), Recipient: new TextRecipient(r.Value<string>(1), r.Value<string>(2)), Body: r.GetString(3)), ct);
        if (texts.Count == 0) return;
        var recipientKeys = await keys.ForTextsAsync(conn, tx, clinic, texts.Select(t => t.Recipient).Distinct().ToList(), ct);
        var sealedTexts = texts.Select(t => (t.Id, Key: recipientKeys[t.Recipient], t.Body))
            .Select(t => (t.Id, t.Key, Sealed: keys.Seal(t.Body, t.Key, clinic, Record(t.Id)))).ToList();
        await conn.Command("""
            update sms_messages m set body_sealed = x.sealed, data_key_id = x.key, body = @marker
              from unnest(@ids, @sealed, @keys) as x(id, sealed, key) where m.id = x.id
            """, tx)
            .With("ids", sealedTexts.Select(t => t.Id).ToArray()).With("sealed", sealedTexts.Select(t => t.Sealed).ToArray())
            .With("keys", sealedTexts.Select(t => t.Key.Id).ToArray()).With("marker", SealedMarker).RunAsync(ct);
    }

    /// <summary>The body as sent (with {token} for a confirmation's link): opened from its seal, "[erased]" when its key is gone.</summary>
    public static async Task<string> OpenAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, DataKeys keys, Guid clinic, Guid messageId, string body,
        byte[]? sealedBody, CancellationToken ct = default) =>
        sealedBody is null ? body : await keys.OpenAsync(conn, tx, sealedBody, clinic, Record(messageId), ct) ?? "[erased]";
}
