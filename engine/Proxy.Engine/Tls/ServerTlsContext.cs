using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Proxy.Engine.Config;

namespace Proxy.Engine.Tls;

/// <summary>
/// The compiled form of one terminating chain's <see cref="TlsServerSettings"/>: authentication options rebuilt only
/// when the credential source hands out new credentials (a reloaded certificate), shared by every handshake otherwise.
/// </summary>
internal sealed class ServerTlsContext
{
    private readonly TlsServerSettings _settings;
    private readonly CipherSuitesPolicy? _cipherPolicy;
    private readonly List<SslApplicationProtocol>? _applicationProtocols;
    private Snapshot? _snapshot;

    public ServerTlsContext(TlsServerSettings settings, bool http)
    {
        _settings = settings;
        _cipherPolicy = TlsPolicies.CreateCipherPolicy(settings.CipherSuites);
        _applicationProtocols = http ? [SslApplicationProtocol.Http11] : null;
    }

    /// <summary>Options for a handshake now; the same instance until the credentials change.</summary>
    public SslServerAuthenticationOptions GetOptions()
    {
        var credentials = _settings.Credentials.GetCredentials();
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null && ReferenceEquals(snapshot.Credentials, credentials))
        {
            return snapshot.Options;
        }

        snapshot = new Snapshot(credentials, CreateOptions(credentials));
        Volatile.Write(ref _snapshot, snapshot);
        return snapshot.Options;
    }

    private SslServerAuthenticationOptions CreateOptions(TlsCredentials credentials)
    {
        var mode = _settings.ClientCertificateMode;
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = credentials.Certificate,
            EnabledSslProtocols = _settings.Protocols,
            CipherSuitesPolicy = _cipherPolicy,
            ApplicationProtocols = _applicationProtocols,
            ClientCertificateRequired = mode != TlsClientCertificateMode.None,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            AllowRenegotiation = false,
        };

        if (mode != TlsClientCertificateMode.None)
        {
            var authorities = credentials.TrustedAuthorities ?? [];
            options.CertificateChainPolicy = TlsPolicies.CreateCustomTrustPolicy(authorities);
            options.RemoteCertificateValidationCallback = ValidateClientCertificate;
        }

        return options;
    }

    private bool ValidateClientCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return _settings.ClientCertificateMode == TlsClientCertificateMode.Optional;
        }

        if (errors != SslPolicyErrors.None)
        {
            return false;
        }

        if (_settings.SubjectAltNames.Count == 0)
        {
            return true;
        }

        return certificate is X509Certificate2 leaf && TlsPolicies.HasSubjectAltName(leaf, _settings.SubjectAltNames);
    }

    private sealed record Snapshot(TlsCredentials Credentials, SslServerAuthenticationOptions Options);
}
