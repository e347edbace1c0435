using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Proxy.Engine.Config;

namespace Proxy.Engine.Tests.Infrastructure;

/// <summary>
/// A throwaway certificate authority made at test time (ECDSA P-256): server and client certificates it signs, and
/// helpers to turn them into engine credentials or client options. Nothing is written to disk.
/// </summary>
public sealed class TestPki : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private TestPki(X509Certificate2 ca)
    {
        Ca = ca;
    }

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Ca { get; }

    public static TestPki Create(string name = "Proxy Test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return new TestPki(request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30)));
    }

    /// <summary>A server certificate for <paramref name="dnsNames"/> (subject CN = the first name).</summary>
    public X509Certificate2 IssueServer(params string[] dnsNames) => Issue(dnsNames[0], dnsNames, uri: null, ServerAuth);

    /// <summary>A client certificate with subject CN <paramref name="commonName"/> and optional DNS/URI SANs.</summary>
    public X509Certificate2 IssueClient(string commonName, string? dnsName = null, string? uri = null)
        => Issue(commonName, dnsName is null ? [] : [dnsName], uri, ClientAuth);

    /// <summary>Engine credentials: <paramref name="certificate"/> as ours, trusting this CA for the peer.</summary>
    public TlsCredentials Credentials(X509Certificate2? certificate) => new()
    {
        Certificate = certificate is null ? null : SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true),
        TrustedAuthorities = [Ca],
    };

    /// <summary>Client options that trust only <paramref name="trustedCa"/>.</summary>
    public static SslClientAuthenticationOptions ClientOptions(
        string? serverName, X509Certificate2 trustedCa, X509Certificate2? clientCertificate = null, bool verifyName = true)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(trustedCa);
        return new SslClientAuthenticationOptions
        {
            TargetHost = serverName ?? "",
            CertificateChainPolicy = policy,
            ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            // No SNI means nothing to match names against; the chain must still be trusted.
            RemoteCertificateValidationCallback = serverName is null || !verifyName
                ? static (_, _, _, errors) => (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None
                : null,
        };
    }

    public void Dispose() => Ca.Dispose();

    private X509Certificate2 Issue(string commonName, string[] dnsNames, string? uri, Oid usage)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            san.AddDnsName(name);
        }

        if (uri is not null)
        {
            san.AddUri(new Uri(uri));
        }

        if (dnsNames.Length > 0 || uri is not null)
        {
            request.CertificateExtensions.Add(san.Build());
        }

        var now = DateTimeOffset.UtcNow;
        var serial = new byte[8];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var signed = request.Create(Ca, now.AddHours(-1), now.AddDays(29), serial);
        return signed.CopyWithPrivateKey(key);
    }
}
