using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Webhooks;

/// <summary>The credential a secret matched: its clinic, and whether it has been revoked.</summary>
public sealed record MatchedCredential(Guid ClinicId, Guid CredentialId, bool Revoked);

/// <summary>
/// Maps a presented webhook secret to its clinic. Credential hashes are cached (a webhook should not
/// pay a database round trip to authenticate) and compared in constant time against every one of
/// them. The cache reloads when it is a few seconds old, and when a secret matches nothing (unless a
/// reload finished after that request arrived, so a flood of wrong secrets coalesces into one reload
/// at a time): a new credential works at once, a revoked one stops within the refresh interval.
/// RecordAsync audits use and refusal in the credential's clinic, at most once a minute per credential.
/// </summary>
public sealed class WebhookCredentials(ClinicDb db, TimeProvider time, ILogger<WebhookCredentials> log)
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AuditEvery = TimeSpan.FromMinutes(1);

    private sealed record Entry(Guid ClinicId, Guid CredentialId, byte[] SecretHash, bool Revoked);

    private volatile Entry[] _entries = [];
    private long _loadedAt; // TimeProvider timestamp of the last load; 0 = never
    private readonly SemaphoreSlim _reload = new(1, 1);
    private readonly ConcurrentDictionary<(Guid, bool), long> _lastAudited = new();

    /// <summary>The matching credential, active or revoked; null when the secret matches none.</summary>
    public async Task<MatchedCredential?> AuthenticateAsync(string? secret, CancellationToken ct)
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

    private MatchedCredential? Match(byte[] hash)
    {
        Entry? found = null;
        foreach (var e in _entries) // no early exit: the time taken does not depend on which one matched
            if (CryptographicOperations.FixedTimeEquals(e.SecretHash, hash)) found = e;
        return found is null ? null : new MatchedCredential(found.ClinicId, found.CredentialId, found.Revoked);
    }

    private async Task ReloadUnlessNewerThanAsync(long arrived, CancellationToken ct)
    {
        await _reload.WaitAsync(ct);
        try
        {
            if (Interlocked.Read(ref _loadedAt) > arrived) return; // another request reloaded meanwhile
            var started = time.GetTimestamp();
            try
            {
                await using var conn = await db.OpenAsync(ct);
                var rows = await conn.Command("select clinic_id, credential_id, secret_hash, revoked from webhook_credentials_for_auth()")
                    .ListAsync(r => new Entry(r.GetGuid(0), r.GetGuid(1), r.GetFieldValue<byte[]>(2), r.GetBoolean(3)), ct);
                _entries = rows.ToArray();
                Interlocked.Exchange(ref _loadedAt, started);
            }
            catch (Npgsql.NpgsqlException e) when (_entries.Length > 0)
            {
                // The database is down: the credentials known a moment ago still answer, so each tool call can tell the
                // caller the system is unavailable instead of the whole request failing. (With none known, it throws.)
                log.LogWarning(e, "Could not reload webhook credentials; using the {Count} known", _entries.Length);
            }
        }
        finally
        {
            _reload.Release();
        }
    }

    /// <summary>credential.used (and last_used_at, which tells when a rotated-out secret went quiet) or credential.refused.</summary>
    public async Task RecordAsync(MatchedCredential c, CancellationToken ct)
    {
        var now = time.GetTimestamp();
        var key = (c.CredentialId, c.Revoked);
        if (_lastAudited.TryGetValue(key, out var last) && time.GetElapsedTime(last, now) < AuditEvery) return;
        _lastAudited[key] = now;
        try
        {
            await db.RunAsync(conn => conn.ForClinic(c.ClinicId, """
            update webhook_credentials set last_used_at = now() where clinic_id = @clinic and id = @id and not @revoked;
            select audit('vapi', case when @revoked then 'credential.refused' else 'credential.used' end, 'webhook_credential', @id::text,
                         jsonb_build_object('reason', case when @revoked then 'revoked' end));
            """).With("id", c.CredentialId).With("revoked", c.Revoked).RunAsync(ct), ct);
        }
        catch (Npgsql.NpgsqlException e)
        {
            _lastAudited.TryRemove(key, out _); // audited at the next request instead
            log.LogWarning(e, "Could not record the use of webhook credential {Credential}", c.CredentialId);
        }
    }

    /// <summary>Forgets the cache, so a credential created or revoked by this instance counts at the next request.</summary>
    public void Invalidate() => Interlocked.Exchange(ref _loadedAt, 0);
}
