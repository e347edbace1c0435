using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Proxy.Host.Tests.Examples;

/// <summary>
/// A CA made at test time, as examples/https-ingress/make-certs.sh makes one with openssl: ECDSA P-256, leaves with
/// their name as subject CN and DNS SAN and a server or client extended key usage. Keys live in memory and in the
/// test's temporary directory only.
/// </summary>
internal sealed class TestCertificateAuthority : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private TestCertificateAuthority(X509Certificate2 certificate) => Certificate = certificate;

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public static TestCertificateAuthority Create(string name = "Proxy Example CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        return new TestCertificateAuthority(request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30)));
    }

    public X509Certificate2 IssueServer(string dnsName) => Issue(dnsName, ServerAuth);

    public X509Certificate2 IssueClient(string dnsName) => Issue(dnsName, ClientAuth);

    /// <summary>Writes <c>ca.crt</c>-style PEM of the CA certificate (no key) to <paramref name="path"/>.</summary>
    public void WriteCertificate(string path) => WriteFile(path, Certificate.ExportCertificatePem());

    /// <summary>Writes <paramref name="certificate"/> as <c>tls.crt</c> and its key as <c>tls.key</c> into
    /// <paramref name="directory"/>, the layout of a Kubernetes TLS secret and of make-certs.sh.</summary>
    public static void WriteTlsFiles(string directory, X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("certificate without an ECDSA private key");
        WriteFile(Path.Combine(directory, "tls.crt"), certificate.ExportCertificatePem());
        WriteFile(Path.Combine(directory, "tls.key"), key.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose() => Certificate.Dispose();

    private static void WriteFile(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private X509Certificate2 Issue(string dnsName, Oid usage)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], critical: false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        request.CertificateExtensions.Add(san.Build());
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        var now = DateTimeOffset.UtcNow;
        using var signed = request.Create(Certificate, now.AddHours(-1), now.AddDays(7), serial);
        return signed.CopyWithPrivateKey(key);
    }
}
