using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Webhooks;

/// <summary>The credential a request matched: its clinic, and whether it has been revoked.</summary>
public sealed record MatchedCredential(Guid ClinicId, Guid CredentialId, bool Revoked);

/// <summary>
/// Maps a request to its clinic's credential, of either kind Vapi offers (docs/vapi.md):
/// - bearer: a token in Authorization (with or without "Bearer "), X-Vapi-Secret, or the header the credential names;
///   kept as a SHA-256 hash and compared in constant time against every one;
/// - hmac: a signature over the raw body and a timestamp (HmacScheme); the secret is kept sealed with the notes key ring
///   and opened when the cache loads.
/// Credentials are cached (a webhook should not pay a database round trip to authenticate). The cache reloads when it is
/// a few seconds old, and when a request matches nothing (unless a reload finished after that request arrived, so a flood
/// of wrong secrets coalesces into one reload at a time): a new credential works at once, a revoked one stops within the
/// refresh interval. RecordAsync audits use and refusal in the credential's clinic, at most once a minute per credential.
/// </summary>
public sealed class WebhookCredentials(ClinicDb db, Privacy.NoteProtector sealer, TimeProvider time, ILogger<WebhookCredentials> log)
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AuditEvery = TimeSpan.FromMinutes(1);
    private static readonly string[] AlwaysAccepted = ["Authorization", "X-Vapi-Secret"];

    private sealed record Entry(Guid ClinicId, Guid CredentialId, bool Revoked, byte[] SecretHash, string HeaderName, HmacScheme? Hmac);

    private volatile Entry[] _entries = [];
    private volatile string[] _tokenHeaders = AlwaysAccepted;
    private volatile string[] _signatureHeaders = [HmacScheme.DefaultSignatureHeader];
    private long _loadedAt; // TimeProvider timestamp of the last load; 0 = never
    private readonly SemaphoreSlim _reload = new(1, 1);
    private readonly ConcurrentDictionary<(Guid, bool), long> _lastAudited = new();

    /// <summary>The bearer credential whose token the request carries, active or revoked; null when it carries none that matches.</summary>
    public async Task<MatchedCredential?> AuthenticateAsync(HttpRequest request, CancellationToken ct)
    {
        var arrived = time.GetTimestamp();
        await RefreshIfOldAsync(arrived, ct);
        var tokens = Tokens(request);
        if (tokens.Count == 0) return null;
        var match = MatchToken(tokens);
        if (match is null)
        {
            await ReloadUnlessNewerThanAsync(arrived, ct);
            match = MatchToken(Tokens(request));
        }
        return match;
    }

    /// <summary>Whether the request carries a header some HMAC credential signs with (then its body is read and verified).</summary>
    public bool IsSigned(HttpRequest request) => _signatureHeaders.Any(h => request.Headers.ContainsKey(h));

    /// <summary>
    /// The HMAC credential whose signature the request carries over this body (url: the address the sender signed), or
    /// null and what was wrong: the most telling of the checks (a timestamp out of its window before a mismatch).
    /// </summary>
    public async Task<(MatchedCredential? Credential, SignatureCheck Check)> VerifyAsync(HttpRequest request, byte[] body, string url,
        CancellationToken ct)
    {
        var arrived = time.GetTimestamp();
        await RefreshIfOldAsync(arrived, ct);
        var (match, check) = MatchSignature(request, body, url);
        if (match is null)
        {
            await ReloadUnlessNewerThanAsync(arrived, ct);
            (match, check) = MatchSignature(request, body, url);
        }
        return (match, check);
    }

    /// <summary>(header, token) pairs the request offers: "Bearer " is optional in any of them.</summary>
    private List<(string Header, byte[] Hash)> Tokens(HttpRequest request)
    {
        var tokens = new List<(string, byte[])>();
        foreach (var header in _tokenHeaders)
        {
            var value = request.Headers[header].ToString().Trim();
            if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) value = value[7..].Trim();
            if (value.Length is > 0 and <= 512) tokens.Add((header, SHA256.HashData(Encoding.UTF8.GetBytes(value))));
        }
        return tokens;
    }

    private MatchedCredential? MatchToken(List<(string Header, byte[] Hash)> tokens)
    {
        Entry? found = null;
        foreach (var e in _entries) // no early exit: the time taken does not depend on which one matched
        {
            if (e.Hmac is not null) continue;
            foreach (var (header, hash) in tokens)
                if (CryptographicOperations.FixedTimeEquals(e.SecretHash, hash)
                    && (AlwaysAccepted.Contains(header, StringComparer.OrdinalIgnoreCase) || header.Equals(e.HeaderName, StringComparison.OrdinalIgnoreCase)))
                    found = e;
        }
        return found is null ? null : new MatchedCredential(found.ClinicId, found.CredentialId, found.Revoked);
    }

    private (MatchedCredential?, SignatureCheck) MatchSignature(HttpRequest request, byte[] body, string url)
    {
        var now = time.GetUtcNow();
        Entry? found = null;
        var worst = SignatureCheck.Missing;
        foreach (var e in _entries)
        {
            if (e.Hmac is null) continue;
            var check = e.Hmac.Check(request.Headers, body, request.Method, url, now);
            if (check == SignatureCheck.Valid) found = e;
            else if (check is SignatureCheck.Stale or SignatureCheck.Ahead || (check == SignatureCheck.Mismatch && worst == SignatureCheck.Missing))
                worst = check;
        }
        return found is null ? (null, worst) : (new MatchedCredential(found.ClinicId, found.CredentialId, found.Revoked), SignatureCheck.Valid);
    }

    private async Task RefreshIfOldAsync(long arrived, CancellationToken ct)
    {
        var loadedAt = Interlocked.Read(ref _loadedAt);
        if (loadedAt == 0 || time.GetElapsedTime(loadedAt) > Refresh) await ReloadUnlessNewerThanAsync(arrived, ct);
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
                var rows = await conn.Command("""
                    select clinic_id, credential_id, revoked, secret_hash, header_name, secret_sealed, algorithm, signature_header,
                           timestamp_header, payload_format, signature_encoding, signature_prefix, kind
                    from webhook_credentials_for_auth()
                    """).ListAsync(Read, ct);
                var entries = rows.OfType<Entry>().ToArray();
                _entries = entries;
                _tokenHeaders = [.. AlwaysAccepted.Concat(entries.Where(e => e.Hmac is null).Select(e => e.HeaderName)).Distinct(StringComparer.OrdinalIgnoreCase)];
                _signatureHeaders = [.. entries.Select(e => e.Hmac?.SignatureHeader).OfType<string>()
                    .Append(HmacScheme.DefaultSignatureHeader).Distinct(StringComparer.OrdinalIgnoreCase)];
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

    /// <summary>A credential; an HMAC one with its secret unsealed, or null (and a warning) when the notes key that sealed it is gone.</summary>
    private Entry? Read(Npgsql.NpgsqlDataReader r)
    {
        var (clinic, id, revoked, hash, header) = (r.GetGuid(0), r.GetGuid(1), r.GetBoolean(2), r.GetFieldValue<byte[]>(3), r.GetString(4));
        if (r.GetString(12) != "hmac") return new Entry(clinic, id, revoked, hash, header, null);
        try
        {
            var secret = sealer.Unprotect(r.GetFieldValue<byte[]>(5), clinic, id);
            return new Entry(clinic, id, revoked, hash, header, new HmacScheme(r.GetString(6), Encoding.UTF8.GetBytes(secret), r.GetString(7),
                r.GetString(8), r.GetString(9), r.GetString(10), r.IsDBNull(11) ? null : r.GetString(11)));
        }
        catch (CryptographicException e)
        {
            log.LogWarning("HMAC webhook credential {Credential} cannot be used: {Reason}", id, e.Message);
            return null;
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
