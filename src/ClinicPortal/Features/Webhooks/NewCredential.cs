using System.Security.Cryptography;
using ClinicPortal.Features.Privacy;
using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Webhooks;

/// <summary>
/// A webhook credential to create, as Vapi's custom credentials are configured (docs/vapi.md):
/// - "bearer": the token in HeaderName (Authorization by default; Authorization and X-Vapi-Secret are always accepted);
/// - "hmac": Algorithm, SignatureHeader, TimestampHeader, PayloadFormat, Encoding and an optional Prefix (HmacScheme).
/// The secret is the portal's to make (NewSecret) and is shown once. A bearer secret is stored as its hash; an HMAC secret
/// must be usable, so it is sealed with the notes key ring (and its hash guards uniqueness).
/// </summary>
public sealed record NewCredential(
    string Label,
    string Kind = "bearer",
    string HeaderName = "Authorization",
    string Algorithm = "sha256",
    string SignatureHeader = HmacScheme.DefaultSignatureHeader,
    string TimestampHeader = HmacScheme.DefaultTimestampHeader,
    string PayloadFormat = HmacScheme.DefaultPayloadFormat,
    string Encoding = "hex",
    string? Prefix = null)
{
    public bool IsHmac => Kind == "hmac";

    /// <summary>Why this cannot be created, or null.</summary>
    public string? Problem(NoteProtector sealer) => Kind switch
    {
        "bearer" => HmacScheme.IsHeaderName(HeaderName) ? null : "the header name is 1 to 64 letters, digits or hyphens",
        "hmac" when !sealer.CanProtect => "HMAC secrets are sealed with the notes key, and none is configured (Notes:Keys or Notes:KeyFile)",
        "hmac" => HmacScheme.Problem(Algorithm, SignatureHeader, TimestampHeader, PayloadFormat, Encoding, Prefix),
        _ => "the kind is bearer or hmac",
    };

    /// <summary>32 random bytes, URL-safe base64, with a prefix that says what it is.</summary>
    public static string NewSecret() =>
        "cps_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).Replace('+', '-').Replace('/', '_').TrimEnd('=');

    public static byte[] Hash(string secret) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret));

    /// <summary>Inserts it in the transaction's clinic; false when this secret is already a credential (seeding again changes nothing).</summary>
    public async Task<bool> InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid clinic, Guid id, string secret, NoteProtector? sealer,
        CancellationToken ct)
    {
        var label = string.IsNullOrWhiteSpace(Label) ? "unnamed" : Label.Trim();
        return await conn.Command("""
            insert into webhook_credentials (clinic_id, id, label, secret_hash, kind, header_name, secret_sealed, algorithm, signature_header,
                                             timestamp_header, payload_format, signature_encoding, signature_prefix)
            values (@clinic, @id, @label, @hash, @kind, @header, @sealed, @algorithm, @signatureHeader, @timestampHeader, @format, @encoding, @prefix)
            on conflict (secret_hash) do nothing
            """, tx).With("clinic", clinic).With("id", id).With("label", label).With("hash", Hash(secret)).With("kind", Kind)
            .With("header", IsHmac ? "Authorization" : HeaderName)
            .With("sealed", IsHmac ? (sealer ?? throw new InvalidOperationException("an HMAC secret needs the notes key to be sealed"))
                .Protect(secret, clinic, id) : null)
            .With("algorithm", IsHmac ? Algorithm : null).With("signatureHeader", IsHmac ? SignatureHeader : null)
            .With("timestampHeader", IsHmac ? TimestampHeader : null).With("format", IsHmac ? PayloadFormat : null)
            .With("encoding", IsHmac ? Encoding : null).With("prefix", IsHmac && Prefix is { Length: > 0 } ? Prefix : null)
            .RunAsync(ct) == 1;
    }

    /// <summary>What the audit row says about it: its kind and settings, never the secret.</summary>
    public object AuditDetail() => IsHmac
        ? new { label = Label, kind = Kind, algorithm = Algorithm, signature_header = SignatureHeader, timestamp_header = TimestampHeader,
                payload_format = PayloadFormat, encoding = Encoding, prefix = Prefix }
        : new { label = Label, kind = Kind, header_name = HeaderName };
}
