using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Proxy.Istio.Tests.Tls;

public enum TestKeyType
{
    EcdsaP256,
    Rsa2048,
}

/// <summary>A certificate with its private key and their PEM texts; never written anywhere but a test's temp directory.</summary>
internal sealed class TestCertificate(X509Certificate2 certificate, string privateKeyPem)
{
    public X509Certificate2 Certificate { get; } = certificate;

    public string CertificatePem => Certificate.ExportCertificatePem();

    public string PrivateKeyPem { get; } = privateKeyPem;

    public string Thumbprint => Certificate.Thumbprint;
}

/// <summary>
/// Generates certificates at test time (System.Security.Cryptography only) so no private key is ever committed: a
/// self-signed CA and leaf certificates it issues, ECDSA P-256 or RSA 2048.
/// </summary>
internal static class TestCertificates
{
    // RSA key generation costs tens of milliseconds; one key serves every RSA certificate of a test run.
    private static readonly Lazy<RSA> SharedRsa = new(() => RSA.Create(2048));

    public static TestCertificate CreateCa(string name = "Test CA", TestKeyType keyType = TestKeyType.EcdsaP256)
    {
        var (request, keyPem) = Request($"CN={name}", keyType);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return new TestCertificate(certificate, keyPem);
    }

    /// <summary>A leaf for <paramref name="dnsName"/> issued by <paramref name="issuer"/> (same key type as the issuer).</summary>
    public static TestCertificate Issue(TestCertificate issuer, string dnsName, TestKeyType keyType = TestKeyType.EcdsaP256)
    {
        var (request, keyPem) = Request($"CN={dnsName}", keyType);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        request.CertificateExtensions.Add(san.Build());
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        var certificate = request.Create(issuer.Certificate, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), serial);
        return new TestCertificate(certificate, keyPem);
    }

    private static (CertificateRequest Request, string KeyPem) Request(string subject, TestKeyType keyType)
    {
        if (keyType == TestKeyType.Rsa2048)
        {
            var rsa = SharedRsa.Value;
            return (new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), rsa.ExportPkcs8PrivateKeyPem());
        }

        var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (new CertificateRequest(subject, ecdsa, HashAlgorithmName.SHA256), ecdsa.ExportPkcs8PrivateKeyPem());
    }
}

/// <summary>A temporary directory for certificate files and YAML, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "proxy-istio-tests-" + Guid.NewGuid().ToString("N"));

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public string Write(string relative, string text)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Writes <c>tls.crt</c> (leaf then CA), <c>tls.key</c> and <c>ca.crt</c> into <paramref name="directory"/>,
    /// as a mounted Kubernetes TLS secret; returns the leaf.</summary>
    public TestCertificate WriteCredential(string directory, string dnsName = "gateway.example.com", TestKeyType keyType = TestKeyType.EcdsaP256,
        TestCertificate? ca = null, string certName = "tls.crt", string keyName = "tls.key", string? caName = "ca.crt")
    {
        ca ??= TestCertificates.CreateCa(keyType: keyType);
        var leaf = TestCertificates.Issue(ca, dnsName, keyType);
        Write(Path.Combine(directory, certName), leaf.CertificatePem + "\n" + ca.CertificatePem);
        Write(Path.Combine(directory, keyName), leaf.PrivateKeyPem);
        if (caName is not null)
        {
            Write(Path.Combine(directory, caName), ca.CertificatePem);
        }

        return leaf;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
