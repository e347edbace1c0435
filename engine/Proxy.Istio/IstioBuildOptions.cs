using System.Net;

namespace Proxy.Istio;

/// <summary>How this gateway instance serves the Istio configuration (the <c>proxy run</c> options that shape it).</summary>
public sealed class IstioBuildOptions
{
    /// <summary>The address every Gateway server binds (<c>--listen-address</c>); default 0.0.0.0.</summary>
    public IPAddress ListenAddress { get; init; } = IPAddress.Any;

    /// <summary>This instance's workload labels (<c>--labels</c>), matched against <c>Gateway.spec.selector</c>
    /// (every selector label must be present with the same value). Null serves every Gateway.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>
    /// Where <c>tls.credentialName</c> secrets are read from (<c>--credentials-dir</c>): a credential NAME is the
    /// directory DIR/NAME holding <c>tls.crt</c>, <c>tls.key</c> and, for client authentication, <c>ca.crt</c> (or
    /// Istio's generic keys <c>cert</c>, <c>key</c>, <c>cacert</c>), as a mounted Kubernetes secret lays them out.
    /// </summary>
    public string? CredentialsDirectory { get; init; }

    /// <summary>The clock certificate files are re-checked by (at most once a second, on a handshake).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Gateway port -> port actually bound (0 = ephemeral), for tests. Listener names keep the gateway port.</summary>
    public IReadOnlyDictionary<int, int>? PortOverrides { get; init; }
}
