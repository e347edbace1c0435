using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Proxy.Engine.Config;

/// <summary>
/// Supplies the certificate material of a TLS endpoint. The engine asks on every handshake and never caches the
/// answer, so an implementation that watches files gives new handshakes new certificates while open connections keep
/// theirs. Must be fast and thread-safe; must not throw (keep serving the last good material instead).
/// </summary>
public interface ITlsCredentialSource
{
    TlsCredentials GetCredentials();
}

/// <summary>A certificate with its chain, and the certificate authorities trusted to verify the peer.</summary>
public sealed class TlsCredentials
{
    /// <summary>Our certificate and chain (server certificate, or the client certificate for origination).</summary>
    public SslStreamCertificateContext? Certificate { get; init; }

    /// <summary>Roots that verify the peer's certificate; null means the operating system's trust store.</summary>
    public X509Certificate2Collection? TrustedAuthorities { get; init; }
}

/// <summary>Credentials that never change (tests, embedding hosts that manage certificates themselves).</summary>
public sealed class StaticTlsCredentialSource : ITlsCredentialSource
{
    private readonly TlsCredentials _credentials;

    public StaticTlsCredentialSource(TlsCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        _credentials = credentials;
    }

    public TlsCredentials GetCredentials() => _credentials;
}
