using System.Security.Cryptography;
using System.Text;

namespace ClinicPortal.Features.Privacy;

/// <summary>
/// Encrypts medical free text at rest with AES-256-GCM. Keys come from configuration
/// (Notes:Keys:&lt;id&gt; = base64 of 32 bytes, Notes:CurrentKey = id): new notes use the current key, and
/// every stored note names its key, so keys rotate without re-encrypting. The clinic and appointment
/// ids are authenticated with the note, so a ciphertext copied to another row does not decrypt. The same key ring seals
/// other secrets that must be usable, not just recognised (an HMAC webhook credential: its clinic and credential ids).
/// Layout: version (1) | key id length (1) | key id | nonce (12) | tag (16) | ciphertext.
/// </summary>
public sealed class NoteProtector
{
    private const byte Version = 1;
    private readonly Dictionary<string, byte[]> _keys;
    private readonly string? _current;

    public NoteProtector(IConfiguration config)
    {
        _keys = config.GetSection("Notes:Keys").GetChildren().ToDictionary(k => k.Key, k => Convert.FromBase64String(k.Value ?? ""));
        foreach (var (id, key) in _keys)
            if (key.Length != 32 || id.Length is 0 or > 64) throw new InvalidOperationException($"Notes:Keys:{id} must be 32 bytes, base64-encoded");
        _current = config["Notes:CurrentKey"] ?? (_keys.Count == 1 ? _keys.Keys.Single() : null);
        if (_current is not null && !_keys.ContainsKey(_current)) throw new InvalidOperationException($"Notes:CurrentKey '{_current}' is not among Notes:Keys");
    }

    /// <summary>False when no key is configured: notes are then not stored (and the booking says so).</summary>
    public bool CanProtect => _current is not null;

    public byte[] Protect(string note, Guid clinic, Guid record)
    {
        if (_current is null) throw new InvalidOperationException("no note encryption key is configured (Notes:Keys, Notes:CurrentKey)");
        var id = Encoding.ASCII.GetBytes(_current);
        var plain = Encoding.UTF8.GetBytes(note);
        var blob = new byte[2 + id.Length + 12 + 16 + plain.Length];
        blob[0] = Version;
        blob[1] = (byte)id.Length;
        id.CopyTo(blob, 2);
        var nonce = blob.AsSpan(2 + id.Length, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_keys[_current], 16);
        aes.Encrypt(nonce, plain, blob.AsSpan(2 + id.Length + 28), blob.AsSpan(2 + id.Length + 12, 16), Bound(clinic, record));
        return blob;
    }

    public string Unprotect(byte[] blob, Guid clinic, Guid record)
    {
        if (blob.Length < 30 || blob[0] != Version) throw new CryptographicException("not a protected note");
        var id = Encoding.ASCII.GetString(blob, 2, blob[1]);
        if (!_keys.TryGetValue(id, out var key)) throw new CryptographicException($"the note was encrypted with key '{id}', which is not configured");
        var offset = 2 + blob[1];
        var plain = new byte[blob.Length - offset - 28];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(blob.AsSpan(offset, 12), blob.AsSpan(offset + 28), blob.AsSpan(offset + 12, 16), plain, Bound(clinic, record));
        return Encoding.UTF8.GetString(plain);
    }

    private static byte[] Bound(Guid clinic, Guid record) => [.. clinic.ToByteArray(), .. record.ToByteArray()];

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
