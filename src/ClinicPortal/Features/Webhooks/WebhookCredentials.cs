using System.Security.Cryptography;
using System.Text;
using ClinicPortal.Infrastructure.Database;
using Dapper;

namespace ClinicPortal.Features.Webhooks;

/// <summary>
/// Maps a presented webhook secret to its clinic. Active credential hashes are cached (a webhook
/// should not pay a database round trip to authenticate) and compared in constant time against every
/// one of them. The cache reloads when it is a few seconds old, and when a secret matches nothing
/// (unless a reload finished after that request arrived, so a flood of wrong secrets coalesces into
/// one reload at a time): a new credential works at once, a revoked one stops within the refresh.
/// </summary>
public sealed class WebhookCredentials(ClinicDb db, TimeProvider time)
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);

    private sealed record Entry(Guid ClinicId, Guid CredentialId, byte[] SecretHash);

    private volatile Entry[] _entries = [];
    private long _loadedAt; // TimeProvider timestamp of the last load; 0 = never
    private readonly SemaphoreSlim _reload = new(1, 1);

    public async Task<Guid?> AuthenticateAsync(string? secret, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length > 512) return null;
        var arrived = time.GetTimestamp();
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        var loadedAt = Interlocked.Read(ref _loadedAt);
        if (loadedAt == 0 || time.GetElapsedTime(loadedAt) > Refresh) await ReloadUnlessNewerThanAsync(arrived, ct);
        var match = Match(hash);
        if (match is null)
        {
            await ReloadUnlessNewerThanAsync(arrived, ct);
            match = Match(hash);
        }
        return match;
    }

    private Guid? Match(byte[] hash)
    {
        Guid? found = null;
        foreach (var e in _entries) // no early exit: the time taken does not depend on which one matched
            if (CryptographicOperations.FixedTimeEquals(e.SecretHash, hash)) found = e.ClinicId;
        return found;
    }

    private async Task ReloadUnlessNewerThanAsync(long arrived, CancellationToken ct)
    {
        await _reload.WaitAsync(ct);
        try
        {
            if (Interlocked.Read(ref _loadedAt) > arrived) return; // another request reloaded meanwhile
            var started = time.GetTimestamp();
            await using var conn = await db.OpenAsync(ct);
            var rows = await conn.QueryAsync<Entry>("select clinic_id as ClinicId, credential_id as CredentialId, secret_hash as SecretHash from active_webhook_credentials()");
            _entries = rows.ToArray();
            Interlocked.Exchange(ref _loadedAt, started);
        }
        finally
        {
            _reload.Release();
        }
    }

    /// <summary>Forget the cache (after this instance creates or revokes a credential).</summary>
    public void Invalidate() => Interlocked.Exchange(ref _loadedAt, 0);
}
