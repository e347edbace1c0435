using System.Net.Security;
using System.Security.Authentication;

namespace Proxy.Engine.Config;

/// <summary>How a TLS filter chain terminates: certificate, client authentication, protocol versions and ciphers.</summary>
public sealed class TlsServerSettings
{
    /// <summary>The server certificate (with chain) and, for client authentication, the trusted CAs. Asked for on
    /// every handshake, so a source that reloads files makes new handshakes use new certificates.</summary>
    public required ITlsCredentialSource Credentials { get; init; }

    /// <summary>Istio <c>SIMPLE</c> = None, <c>OPTIONAL_MUTUAL</c> = Optional, <c>MUTUAL</c> = Required.</summary>
    public TlsClientCertificateMode ClientCertificateMode { get; init; } = TlsClientCertificateMode.None;

    /// <summary>When not empty, a client certificate must carry one of these DNS, URI or IP subject alternative names
    /// (exact, case-insensitive for DNS).</summary>
    public IReadOnlyList<string> SubjectAltNames { get; init; } = [];

    /// <summary>Allowed versions; Istio's default minimum is TLS 1.2.</summary>
    public SslProtocols Protocols { get; init; } = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>TLS 1.2 cipher suites to offer (Envoy's <c>cipher_suites</c>); null keeps the platform's defaults.
    /// TLS 1.3 suites are not configurable, as in Envoy.</summary>
    public IReadOnlyList<TlsCipherSuite>? CipherSuites { get; init; }
}

/// <summary>Whether a terminating chain asks for a client certificate.</summary>
public enum TlsClientCertificateMode
{
    /// <summary>Not requested (Istio SIMPLE).</summary>
    None,

    /// <summary>Requested; validated when sent, the handshake proceeds without one (Istio OPTIONAL_MUTUAL).</summary>
    Optional,

    /// <summary>Required and validated (Istio MUTUAL).</summary>
    Required,
}
