using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using ClinicPortal.Features.Demo;
using ClinicPortal.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ClinicPortal.Features.Security;

/// <summary>
/// The keys that protect sign-in cookies and antiforgery tokens live in PostgreSQL (data_protection_keys, migration 0013),
/// so every instance shares sign-ins and a restart keeps them. At rest they are encrypted with DataProtection:Certificate:Path
/// (+ :Password), or with a 32-byte key: DataProtection:Key (base64) or DataProtection:KeyFile (made on first start, outside the
/// data directory). Outside Development and demo mode the portal does not start with neither.
/// </summary>
public static class DataProtectionKeys
{
    public sealed class KeyRing(DbContextOptions<KeyRing> options) : DbContext(options), IDataProtectionKeyContext
    {
        public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    }

    public static WebApplicationBuilder AddDataProtectionKeys(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        builder.Services.AddDbContext<KeyRing>((sp, o) => o.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()).UseSnakeCaseNamingConvention());
        var protection = builder.Services.AddDataProtection().SetApplicationName("ClinicPortal").PersistKeysToDbContext<KeyRing>();
        if (config["DataProtection:Certificate:Path"] is { Length: > 0 } path)
        {
            protection.ProtectKeysWithCertificate(X509CertificateLoader.LoadPkcs12FromFile(path, config["DataProtection:Certificate:Password"]));
            return builder;
        }
        var key = config["DataProtection:Key"] is { Length: > 0 } given ? given : KeyFiles.Load(config, "DataProtection:KeyFile", "dataprotection-key.txt");
        if (key is not null)
        {
            var bytes = Convert.FromBase64String(key);
            if (bytes.Length != 32) throw new InvalidOperationException("DataProtection:Key must be 32 bytes, base64-encoded.");
            builder.Services.AddSingleton(new KeyEncryptionKey(bytes));
            builder.Services.Configure<KeyManagementOptions>(o => o.XmlEncryptor = new KeyXmlEncryptor(bytes));
            return builder;
        }
        if (!DemoMode.IsOn(config) && !builder.Environment.IsDevelopment())
            throw new StartupRefusal("The keys that protect sign-ins would be stored unencrypted in the database. Configure " +
                "DataProtection:KeyFile (a path outside the data directory; ./clinic serve sets one), DataProtection:Key (32 bytes, base64) " +
                "or DataProtection:Certificate:Path (+ :Password).");
        return builder;
    }

    public sealed record KeyEncryptionKey(byte[] Bytes);

    /// <summary>AES-256-GCM over the key's XML; the element names the decryptor, which finds the key in the services.</summary>
    private sealed class KeyXmlEncryptor(byte[] key) : IXmlEncryptor
    {
        public EncryptedXmlInfo Encrypt(XElement plaintextElement)
        {
            var plain = System.Text.Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
            var blob = new byte[12 + 16 + plain.Length];
            RandomNumberGenerator.Fill(blob.AsSpan(0, 12));
            using var aes = new AesGcm(key, 16);
            aes.Encrypt(blob.AsSpan(0, 12), plain, blob.AsSpan(28), blob.AsSpan(12, 16));
            return new EncryptedXmlInfo(new XElement("encryptedKey", new XComment(" AES-256-GCM: nonce | tag | ciphertext "),
                new XElement("value", Convert.ToBase64String(blob))), typeof(KeyXmlDecryptor));
        }
    }

    private sealed class KeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
    {
        public XElement Decrypt(XElement encryptedElement)
        {
            var key = services.GetService<KeyEncryptionKey>()?.Bytes
                      ?? throw new InvalidOperationException("A Data Protection key is encrypted, but no DataProtection key is configured to read it.");
            var blob = Convert.FromBase64String((string)encryptedElement.Element("value")!);
            var plain = new byte[blob.Length - 28];
            using var aes = new AesGcm(key, 16);
            aes.Decrypt(blob.AsSpan(0, 12), blob.AsSpan(28), blob.AsSpan(12, 16), plain);
            return XElement.Parse(System.Text.Encoding.UTF8.GetString(plain));
        }
    }
}
