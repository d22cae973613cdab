using System.Security.Cryptography;
using System.Text;
using ClinicPortal.Infrastructure.Database;
using Microsoft.AspNetCore.DataProtection;

namespace ClinicPortal.Features.Messages;

/// <summary>
/// Confirmation links carry a token that is stored nowhere: it is HMAC-SHA256(key, the message's ref), made again by
/// whichever instance sends the text (so a retry sends the same link), and only its SHA-256 is kept. The key is made once,
/// encrypted with Data Protection and kept in app_secrets (0014_safe_texts_and_links.sql), so every instance has the same.
/// </summary>
public sealed class LinkTokens(ClinicDb db, IDataProtectionProvider protection, ILogger<LinkTokens> log)
{
    private const string SecretName = "confirmation-link-key";
    private readonly SemaphoreSlim _loading = new(1, 1);
    private byte[]? _key;

    /// <summary>A new ref (22 characters of base64url, 128 random bits) and the hash of its link token, for queue_sms.</summary>
    public async Task<(string Ref, byte[] TokenHash)> NewAsync(CancellationToken ct = default)
    {
        var reference = Base64Url(RandomNumberGenerator.GetBytes(16));
        return (reference, Hash(await TokenAsync(reference, ct)));
    }

    /// <summary>The link token of a message's ref.</summary>
    public async Task<string> TokenAsync(string reference, CancellationToken ct = default) =>
        Base64Url(HMACSHA256.HashData(await KeyAsync(ct), Encoding.UTF8.GetBytes(reference)))[..32];

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>The body as sent: the link's token in place of {token}.</summary>
    public async Task<string> RenderAsync(string body, string reference, CancellationToken ct = default) =>
        body.Contains(Placeholder, StringComparison.Ordinal) ? body.Replace(Placeholder, await TokenAsync(reference, ct)) : body;

    public const string Placeholder = "{token}";

    /// <summary>What staff see where the link's token goes.</summary>
    public const string Mask = "••••••••";

    private async Task<byte[]> KeyAsync(CancellationToken ct)
    {
        if (_key is { } known) return known;
        await _loading.WaitAsync(ct);
        try
        {
            if (_key is { } loaded) return loaded;
            var protector = protection.CreateProtector("ClinicPortal.ConfirmationLinks");
            await using var conn = await db.OpenAsync(ct);
            var fresh = protector.Protect(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            // The first instance to get here makes the key; everyone reads the one that was stored.
            await conn.Command("insert into app_secrets (name, protected) values (@name, @fresh) on conflict (name) do nothing")
                .With("name", SecretName).With("fresh", fresh).RunAsync(ct);
            var stored = await conn.Command("select protected from app_secrets where name = @name").With("name", SecretName).ScalarAsync<string>(ct);
            try
            {
                return _key = Convert.FromBase64String(protector.Unprotect(stored!));
            }
            catch (CryptographicException e)
            {
                // The Data Protection keys that encrypted it are gone (a new DataProtection key or certificate): links already
                // sent keep working (only their hashes are needed), but confirmation texts queued and not yet sent would carry
                // links that no longer match. A new key is made for everything from now on.
                log.LogWarning(e, "The confirmation-link key could not be decrypted; making a new one. Confirmation texts queued but not yet sent will need a resend.");
                await conn.Command("update app_secrets set protected = @fresh, created_at = now() where name = @name")
                    .With("name", SecretName).With("fresh", fresh).RunAsync(ct);
                return _key = Convert.FromBase64String(protector.Unprotect(fresh));
            }
        }
        finally
        {
            _loading.Release();
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
