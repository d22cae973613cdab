using System.Security.Cryptography;
using System.Text;
using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Privacy;

/// <summary>A data key in clear, for the moment it is used.</summary>
public sealed record DataKey(Guid Id, byte[] Key);

/// <summary>Who a text went to: the number, and the call it followed (either may be unknown).</summary>
public sealed record TextRecipient(string? To, string? CallId);

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
    public async Task<DataKey> ForPatientAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinic, Guid patient, CancellationToken ct = default) =>
        (await ForPatientsAsync(conn, tx, clinic, [patient], ct))[patient];

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
    /// The keys for texts' bodies, by recipient: the recipient's, when they are a patient; else their call's (linked to the
    /// call); else one of its own (erasure finds the text by its number). Patients' keys are found, and made where missing,
    /// a few statements for all of them.
    /// </summary>
    public async Task<Dictionary<TextRecipient, DataKey>> ForTextsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinic,
        IReadOnlyCollection<TextRecipient> recipients, CancellationToken ct = default)
    {
        var phones = recipients.Select(r => r.To).OfType<string>().Distinct().ToArray();
        // One index lookup per number, whatever the table's statistics say: `phone = any(@phones)` read every patient of the
        // clinic when they were stale, after a burst of new patients (2,300 rows, 3 ms a batch; docs/performance.md).
        var patients = phones.Length == 0 ? [] : (await conn.Command("""
            select x.phone, (select id from patients where phone = x.phone and erased_at is null) from unnest(@phones) as x(phone)
            """, tx).With("phones", phones).ListAsync(r => (Phone: r.GetString(0), Id: r.Value<Guid?>(1)), ct))
            .Where(p => p.Id is not null).ToDictionary(p => p.Phone, p => p.Id!.Value);
        var patientKeys = await ForPatientsAsync(conn, tx, clinic, patients.Values.ToList(), ct);
        var keys = new Dictionary<TextRecipient, DataKey>();
        // Calls are locked in call-id order, after the patients: two batches that share calls wait rather than deadlock.
        foreach (var r in recipients.OrderBy(r => r.CallId, StringComparer.Ordinal))
        {
            if (r.To is not null && patients.TryGetValue(r.To, out var patient)) keys[r] = patientKeys[patient];
            else if (r.CallId is null) keys[r] = await NewAsync(conn, tx, clinic, null, ct);
            else
            {
                var key = keys[r] = await ForCallAsync(conn, tx, clinic, r.CallId, null, ct);
                await conn.Command("update calls set data_key_id = coalesce(data_key_id, @key) where call_id = @callId", tx)
                    .With("key", key.Id).With("callId", r.CallId).RunAsync(ct);
            }
        }
        return keys;
    }

    /// <summary>
    /// Patients' keys, made on first use: their rows locked until the transaction ends (in id order, so two transactions
    /// take them one after the other; one key is made, not two), their newest keys read, the missing ones made in one insert.
    /// </summary>
    private async Task<Dictionary<Guid, DataKey>> ForPatientsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinic, IReadOnlyCollection<Guid> patients,
        CancellationToken ct)
    {
        if (patients.Count == 0) return [];
        var found = await conn.Command("""
            select p.id, k.id, k.wrapped from (select id from patients where id = any(@patients) order by id for update) p
              left join lateral (select id, wrapped from data_keys where patient_id = p.id and wrapped is not null order by created_at desc limit 1) k on true
            """, tx).With("patients", patients.ToArray())
            .ListAsync(r => (Patient: r.GetGuid(0), Id: r.Value<Guid?>(1), Wrapped: r.Value<byte[]>(2)), ct);
        var keys = found.Where(k => k is { Id: not null, Wrapped: not null }).ToDictionary(k => k.Patient, k => Unwrap(clinic, k.Id!.Value, k.Wrapped!));
        var made = found.Where(k => !keys.ContainsKey(k.Patient)).Select(k => (Patient: k.Patient, Key: Fresh())).ToList();
        if (made.Count == 0) return keys;
        await conn.Command("""
            insert into data_keys (clinic_id, id, patient_id, wrapped) select @clinic, x.id, x.patient, x.wrapped from unnest(@ids, @patients, @wrapped) as x(id, patient, wrapped)
            """, tx).With("clinic", clinic).With("ids", made.Select(m => m.Key.Id).ToArray()).With("patients", made.Select(m => m.Patient).ToArray())
            .With("wrapped", made.Select(m => Wrap(clinic, m.Key)).ToArray()).RunAsync(ct);
        foreach (var (patient, key) in made) keys[patient] = key;
        return keys;
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
        var key = Fresh();
        await conn.Command("insert into data_keys (clinic_id, id, patient_id, wrapped) values (@clinic, @id, @patient, @wrapped)", tx)
            .With("clinic", clinic).With("id", key.Id).With("patient", patient)
            .With("wrapped", Wrap(clinic, key)).RunAsync(ct);
        return key;
    }

    private static DataKey Fresh() => new(Guid.CreateVersion7(), RandomNumberGenerator.GetBytes(32));

    private byte[] Wrap(Guid clinic, DataKey key) => ring.Protect(Convert.ToBase64String(key.Key), clinic, key.Id);

    private DataKey Unwrap(Guid clinic, Guid id, byte[] wrapped) => new(id, Convert.FromBase64String(ring.Unprotect(wrapped, clinic, id)));

    private static byte[] Bound(Guid clinic, string record) => [.. clinic.ToByteArray(), .. Encoding.UTF8.GetBytes(record)];
}
