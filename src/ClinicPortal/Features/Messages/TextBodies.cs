using ClinicPortal.Features.Privacy;
using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Messages;

/// <summary>
/// A text's body at rest (docs/privacy.md). While a text waits to be sent its body is in clear (the dispatcher needs it,
/// for seconds); once it is done with (sent, delivered, failed, opted out, not sent…) the dispatcher seals it under the
/// recipient's data key (DataKeys.ForTextsAsync) as it records the outcome, and the body column reads "[sealed]". Staff
/// pages, the subject-access export and a resend open it again; after the patient's erasure it reads "[erased]".
/// </summary>
public static class TextBodies
{
    public const string SealedMarker = "[sealed]";

    public static string Record(Guid messageId) => "sms:" + messageId;

    /// <summary>A text to seal: its id, who it went to (whose key seals it), and its body as stored.</summary>
    public sealed record Text(Guid Id, TextRecipient To, string Body);

    /// <summary>
    /// Seals the bodies of texts that are done with under their recipients' keys, found or made in the clinic's transaction
    /// (a few round trips for any number of texts). The dispatcher stores them with the texts' outcomes (record_sms_attempts,
    /// 0032), which keeps a body that was erased or sealed meanwhile as it is. A body already marked ("[…]") is not sealed.
    /// </summary>
    public static async Task<Dictionary<Guid, (byte[] Sealed, Guid Key)>> SealAsync(NpgsqlConnection conn, NpgsqlTransaction tx, DataKeys keys,
        Guid clinic, IReadOnlyCollection<Text> texts, CancellationToken ct = default)
    {
        var open = texts.Where(t => !t.Body.StartsWith('[')).ToList();
        if (!keys.CanSeal || open.Count == 0) return [];
        var recipientKeys = await keys.ForTextsAsync(conn, tx, clinic, open.Select(t => t.To).Distinct().ToList(), ct);
        return open.ToDictionary(t => t.Id, t => (keys.Seal(t.Body, recipientKeys[t.To], clinic, Record(t.Id)), recipientKeys[t.To].Id));
    }

    /// <summary>
    /// Stores sealed bodies on their own (for texts recorded without one, SmsDispatcher.SealLeftoversAsync): each only if it
    /// is still done with and in clear, as record_sms_attempts checks it. Returns how many were stored.
    /// </summary>
    public static Task<int> StoreAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Dictionary<Guid, (byte[] Sealed, Guid Key)> seals,
        CancellationToken ct = default) =>
        seals.Count == 0 ? Task.FromResult(0) : conn.Command("""
            update sms_messages m set body = @marker, body_sealed = x.sealed, data_key_id = x.key
              from unnest(@ids, @sealed, @keys) as x(id, sealed, key)
             where m.id = x.id and m.body_sealed is null and m.body not like '[%' and m.status not in ('queued', 'sending')
            """, tx)
            .With("ids", seals.Keys.ToArray()).With("sealed", seals.Values.Select(s => s.Sealed).ToArray())
            .With("keys", seals.Values.Select(s => s.Key).ToArray()).With("marker", SealedMarker).RunAsync(ct);

    /// <summary>The body as sent (with {token} for a confirmation's link): opened from its seal, "[erased]" when its key is gone.</summary>
    public static async Task<string> OpenAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, DataKeys keys, Guid clinic, Guid messageId, string body,
        byte[]? sealedBody, CancellationToken ct = default) =>
        sealedBody is null ? body : await keys.OpenAsync(conn, tx, sealedBody, clinic, Record(messageId), ct) ?? "[erased]";
}
