using System.Security.Cryptography;
using System.Text;
using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Privacy;

/// <summary>A data key in clear, for the moment it is used.</summary>
public sealed record DataKey(Guid Id, byte[] Key);

/// <summary>
/// Crypto-shredding (docs/privacy.md): each patient has their own data key, and a call from a number that is no patient
/// yet has one of its own. Keys are random, kept in data_keys wrapped by the notes key ring (NoteProtector, bound to the
/// clinic and key id), and unwrapped only for the moment they are used. What describes a patient and is kept for a while
/// is sealed under their key: appointment notes, call transcripts, summaries and structured data. erase_patient destroys
/// the key, and what it sealed can no longer be read anywhere, backups included.
/// Sealed layout: version (2) | key id (16) | nonce (12) | tag (16) | ciphertext; the clinic and the record it belongs to
/// (an appointment id, "transcript:&lt;call id&gt;", …) are authenticated with it, so a copy moved to another row does not open.
/// </summary>
public sealed class DataKeys(NoteProtector ring)
{
    public const byte Version = 2;

    /// <summary>False when no notes key is configured: nothing can be sealed (notes are then not stored; transcripts stay in clear).</summary>
    public bool CanSeal => ring.CanProtect;

    /// <summary>The patient's key, made on first use. Locks the patient's row until the transaction ends (one key is made, not two).</summary>
    public async Task<DataKey> ForPatientAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinic, Guid patient, CancellationToken ct = default)
    {
        var existing = await conn.Command("""
            select k.id, k.wrapped from (select id from patients where id = @patient for update) p
              left join lateral (select id, wrapped from data_keys where patient_id = p.id and wrapped is not null order by created_at desc limit 1) k on true
            """, tx).With("patient", patient).FirstOrDefaultAsync(r => (Id: r.Value<Guid?>(0), Wrapped: r.Value<byte[]>(1)), ct);
        if (existing is { Id: { } id, Wrapped: { } wrapped }) return Unwrap(clinic, id, wrapped);
        return await NewAsync(conn, tx, clinic, patient, ct);
    }

    /// <summary>
    /// The key for what a call leaves behind: its caller's, when the caller is a patient of this clinic; else the call's
    /// own, made on first use. The caller must link the call to the key it used (calls.data_key_id).
    /// </summary>
    public async Task<DataKey> ForCallAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinic, string callId, string? callerPhone,
        CancellationToken ct = default)
    {
        if (callerPhone is not null
            && await conn.Command("select id from patients where phone = @phone and erased_at is null", tx).With("phone", callerPhone)
                .FirstOrDefaultAsync(r => (Guid?)r.GetGuid(0), ct) is { } patient)
            return await ForPatientAsync(conn, tx, clinic, patient, ct);
        var existing = await conn.Command("""
            select k.id, k.wrapped from calls c join data_keys k on k.clinic_id = c.clinic_id and k.id = c.data_key_id
             where c.call_id = @callId for update of c
            """, tx).With("callId", callId).FirstOrDefaultAsync(r => (Id: (Guid?)r.GetGuid(0), Wrapped: r.Value<byte[]>(1)), ct);
        if (existing.Id is { } id && existing.Wrapped is { } wrapped) return Unwrap(clinic, id, wrapped);
        return await NewAsync(conn, tx, clinic, null, ct);
    }

    /// <summary>
    /// The key for a text's body: its recipient's, when they are a patient; else its call's (linked to the call); else
    /// one of its own (erasure finds the text by its number).
    /// </summary>
    public async Task<DataKey> ForTextAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinic, string? to, string? callId,
        CancellationToken ct = default)
    {
        if (to is not null
            && await conn.Command("select id from patients where phone = @phone and erased_at is null", tx).With("phone", to)
                .FirstOrDefaultAsync(r => (Guid?)r.GetGuid(0), ct) is { } patient)
            return await ForPatientAsync(conn, tx, clinic, patient, ct);
        if (callId is null) return await NewAsync(conn, tx, clinic, null, ct);
        var key = await ForCallAsync(conn, tx, clinic, callId, null, ct);
        await conn.Command("update calls set data_key_id = coalesce(data_key_id, @key) where call_id = @callId", tx)
            .With("key", key.Id).With("callId", callId).RunAsync(ct);
        return key;
    }

    public byte[] Seal(string text, DataKey key, Guid clinic, string record)
    {
        var plain = Encoding.UTF8.GetBytes(text);
        var blob = new byte[1 + 16 + 12 + 16 + plain.Length];
        blob[0] = Version;
        key.Id.TryWriteBytes(blob.AsSpan(1, 16));
        RandomNumberGenerator.Fill(blob.AsSpan(17, 12));
        using var aes = new AesGcm(key.Key, 16);
        aes.Encrypt(blob.AsSpan(17, 12), plain, blob.AsSpan(45), blob.AsSpan(29, 16), Bound(clinic, record));
        return blob;
    }

    /// <summary>The sealed text, or null when its key has been destroyed (the patient was erased).</summary>
    public async Task<string?> OpenAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, byte[] blob, Guid clinic, string record, CancellationToken ct = default)
    {
        if (blob.Length < 45 || blob[0] != Version) throw new CryptographicException("not sealed with a data key");
        var id = new Guid(blob.AsSpan(1, 16));
        var wrapped = await conn.Command("select wrapped from data_keys where id = @id", tx).With("id", id).FirstOrDefaultAsync(r => r.Value<byte[]>(0), ct);
        if (wrapped is null) return null;
        var key = Unwrap(clinic, id, wrapped);
        var plain = new byte[blob.Length - 45];
        using var aes = new AesGcm(key.Key, 16);
        aes.Decrypt(blob.AsSpan(17, 12), blob.AsSpan(45), blob.AsSpan(29, 16), plain, Bound(clinic, record));
        return Encoding.UTF8.GetString(plain);
    }

    public static bool IsSealed(byte[]? blob) => blob is { Length: > 0 } && blob[0] == Version;

    private async Task<DataKey> NewAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinic, Guid? patient, CancellationToken ct)
    {
        var key = new DataKey(Guid.CreateVersion7(), RandomNumberGenerator.GetBytes(32));
        await conn.Command("insert into data_keys (clinic_id, id, patient_id, wrapped) values (@clinic, @id, @patient, @wrapped)", tx)
            .With("clinic", clinic).With("id", key.Id).With("patient", patient)
            .With("wrapped", ring.Protect(Convert.ToBase64String(key.Key), clinic, key.Id)).RunAsync(ct);
        return key;
    }

    private DataKey Unwrap(Guid clinic, Guid id, byte[] wrapped) => new(id, Convert.FromBase64String(ring.Unprotect(wrapped, clinic, id)));

    private static byte[] Bound(Guid clinic, string record) => [.. clinic.ToByteArray(), .. Encoding.UTF8.GetBytes(record)];
}
