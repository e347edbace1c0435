using System.Security.Authentication;

namespace Proxy.Engine.Config;

/// <summary>
/// TLS origination to a cluster's endpoints (Istio DestinationRule <c>trafficPolicy.tls</c> SIMPLE or MUTUAL).
/// Originated connections are pooled and reused like plaintext ones.
/// </summary>
public sealed class UpstreamTlsSettings
{
    /// <summary>SNI sent, and the name the server certificate is verified against when
    /// <see cref="SubjectAltNames"/> is empty. Required.</summary>
    public required string Sni { get; init; }

    /// <summary>Client certificate (MUTUAL) and trusted CAs; null, or null authorities, uses the OS trust store.</summary>
    public ITlsCredentialSource? Credentials { get; init; }

    /// <summary>When not empty, the server certificate must carry one of these SANs instead of matching <see cref="Sni"/>.</summary>
    public IReadOnlyList<string> SubjectAltNames { get; init; } = [];

    /// <summary>Skip verifying the server certificate (Istio <c>insecureSkipVerify</c>).</summary>
    public bool InsecureSkipVerify { get; init; }

    public SslProtocols Protocols { get; init; } = SslProtocols.Tls12 | SslProtocols.Tls13;
}
