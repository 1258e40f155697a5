using System.Security.Cryptography;
using Accountability.Audit.Data;
using Accountability.Audit.Verification;
using Dapper;
using Microsoft.Extensions.Options;

namespace Accountability.Audit.Features.Checkpoints;

/// <summary>The key that signs checkpoints, with the id every checkpoint names.</summary>
public sealed record ActiveSigningKey(string KeyId, ECDsa Key, string PublicKeyPem);

/// <summary>
/// Loads the signing key once. A configured key (Audit:SigningKey) is always used; without one,
/// Development and Testing generate a key on first start and keep it in the schema, so restarts
/// and several instances share it. Production refuses to start without a configured key (checked
/// in AddAudit). Every key's public half is recorded in audit_signing_keys, so checkpoints signed
/// before a rotation stay verifiable.
/// </summary>
public sealed class SigningKeyRing(IOptions<AuditOptions> options, AuditDatabase database, ILogger<SigningKeyRing> logger)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private ActiveSigningKey? active;

    public async Task<ActiveSigningKey> GetActiveAsync(CancellationToken cancellationToken)
    {
        if (active is not null)
            return active;
        await gate.WaitAsync(cancellationToken);
        try
        {
            return active ??= await LoadAsync(cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Reads a configured private key: PEM, or base64 of PKCS#8 DER.</summary>
    public static ECDsa ParsePrivateKey(string configured)
    {
        var key = ECDsa.Create();
        var text = configured.Trim();
        if (text.StartsWith("-----BEGIN", StringComparison.Ordinal))
            key.ImportFromPem(text);
        else
            key.ImportPkcs8PrivateKey(Convert.FromBase64String(text), out _);
        CheckpointSignature.RequireP256(key);
        return key;
    }

    /// <summary>"key-" and the first 16 hex digits of SHA-256 over the public key (SubjectPublicKeyInfo).</summary>
    public static string Fingerprint(ECDsa key) =>
        "key-" + Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];

    private async Task<ActiveSigningKey> LoadAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ChainLock.AcquireSigningKeyAsync(transaction, database.Schema, cancellationToken);

        ActiveSigningKey key;
        if (!string.IsNullOrWhiteSpace(settings.SigningKey))
        {
            var configured = ParsePrivateKey(settings.SigningKey);
            key = new ActiveSigningKey(settings.SigningKeyId is { Length: > 0 } id ? id : Fingerprint(configured), configured, configured.ExportSubjectPublicKeyInfoPem());
            var recorded = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
                "select public_key_pem from audit_signing_keys where key_id = @KeyId", new { key.KeyId }, transaction, cancellationToken: cancellationToken));
            if (recorded is not null && recorded != key.PublicKeyPem)
                throw new InvalidOperationException($"Audit:SigningKeyId '{key.KeyId}' already names a different key; give a new key a new id.");
            if (recorded is null)
                await RecordAsync(key, privateKey: null);
        }
        else
        {
            var generated = await connection.QuerySingleOrDefaultAsync<(string KeyId, byte[] PrivateKey)?>(new CommandDefinition(
                "select key_id, private_key_pkcs8 from audit_signing_keys where generated order by created_at limit 1",
                transaction: transaction, cancellationToken: cancellationToken));
            if (generated is { } stored)
            {
                var existing = ECDsa.Create();
                existing.ImportPkcs8PrivateKey(stored.PrivateKey, out _);
                key = new ActiveSigningKey(stored.KeyId, existing, existing.ExportSubjectPublicKeyInfoPem());
            }
            else
            {
                var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                key = new ActiveSigningKey("generated-" + Fingerprint(fresh), fresh, fresh.ExportSubjectPublicKeyInfoPem());
                await RecordAsync(key, fresh.ExportPkcs8PrivateKey());
                logger.LogWarning("No Audit:SigningKey configured: generated checkpoint key {KeyId} and stored it in schema {Schema}. Configure a key in production.",
                    key.KeyId, database.Schema);
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return key;

        Task RecordAsync(ActiveSigningKey signing, byte[]? privateKey) =>
            connection.ExecuteAsync(new CommandDefinition(
                """
                insert into audit_signing_keys (key_id, public_key_pem, private_key_pkcs8, generated)
                values (@KeyId, @PublicKeyPem, @privateKey, @generated)
                """,
                new { signing.KeyId, signing.PublicKeyPem, privateKey, generated = privateKey is not null }, transaction, cancellationToken: cancellationToken));
    }
}
