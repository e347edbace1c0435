using System.ComponentModel;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Proxy.Engine.Config;
using Proxy.Engine.Transport;

namespace Proxy.Engine.Tls;

/// <summary>
/// TLS origination for one cluster (Istio DestinationRule tls SIMPLE/MUTUAL): the client options, rebuilt only when
/// the credential source hands out new credentials, and the handshake over a fresh socket connection.
/// </summary>
internal sealed class UpstreamTlsContext
{
    private readonly UpstreamTlsSettings _settings;
    private Snapshot? _snapshot;

    public UpstreamTlsContext(UpstreamTlsSettings settings)
    {
        _settings = settings;
    }

    /// <summary>Handshakes as a client over <paramref name="socket"/>; on failure the socket is aborted and the reason
    /// returned.</summary>
    public async ValueTask<(TlsConnection? Connection, string? Failure)> ConnectAsync(
        SocketConnection socket, TransportOptions transport, CancellationToken cancellationToken)
    {
        var stream = new DuplexPipeStream(socket);
        var ssl = new SslStream(stream, leaveInnerStreamOpen: true);
        try
        {
            await ssl.AuthenticateAsClientAsync(GetOptions(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or Win32Exception or OperationCanceledException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            socket.Abort();
            await socket.DisposeAsync().ConfigureAwait(false);
            return (null, ex is OperationCanceledException ? "TLS handshake timed out" : ex.Message);
        }

        var connection = new TlsConnection(socket, ssl, stream, transport);
        connection.Start();
        return (connection, null);
    }

    private SslClientAuthenticationOptions GetOptions()
    {
        var credentials = _settings.Credentials?.GetCredentials();
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null && ReferenceEquals(snapshot.Credentials, credentials))
        {
            return snapshot.Options;
        }

        snapshot = new Snapshot(credentials, CreateOptions(credentials));
        Volatile.Write(ref _snapshot, snapshot);
        return snapshot.Options;
    }

    private SslClientAuthenticationOptions CreateOptions(TlsCredentials? credentials)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = _settings.Sni,
            EnabledSslProtocols = _settings.Protocols,
            ClientCertificateContext = credentials?.Certificate,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            AllowRenegotiation = false,
            RemoteCertificateValidationCallback = ValidateServerCertificate,
        };

        if (credentials?.TrustedAuthorities is { } authorities)
        {
            options.CertificateChainPolicy = TlsPolicies.CreateCustomTrustPolicy(authorities);
        }

        return options;
    }

    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_settings.InsecureSkipVerify)
        {
            return true;
        }

        if (_settings.SubjectAltNames.Count == 0)
        {
            return errors == SslPolicyErrors.None;
        }

        // Configured SANs replace the SNI name check (Istio's subjectAltNames for origination).
        return (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None
            && certificate is X509Certificate2 leaf
            && TlsPolicies.HasSubjectAltName(leaf, _settings.SubjectAltNames);
    }

    private sealed record Snapshot(TlsCredentials? Credentials, SslClientAuthenticationOptions Options);
}
