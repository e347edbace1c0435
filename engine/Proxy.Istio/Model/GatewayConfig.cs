namespace Proxy.Istio.Model;

internal sealed record GatewayConfig(IstioObjectMeta Meta, IReadOnlyDictionary<string, string>? Selector, IReadOnlyList<ServerConfig> Servers);

/// <summary>A Gateway server. <see cref="Protocol"/> is upper-case (HTTP, HTTPS, TCP, ...); <see cref="Tls"/> is
/// validated against the protocol (required for HTTPS and TLS, only <c>httpsRedirect</c> for HTTP).</summary>
internal sealed record ServerConfig(int Index, int PortNumber, string PortName, string Protocol, IReadOnlyList<GatewayHost> Hosts, ServerTlsConfig? Tls = null)
{
    public string Path => $"spec.servers[{Index}]";
}

/// <summary>A server host <c>[namespace/]dnsName</c>: <see cref="Namespace"/> is <c>*</c> for any, else one namespace
/// (<c>.</c> already resolved to the Gateway's own); <see cref="Host"/> is lower-case.</summary>
internal sealed record GatewayHost(string Namespace, string Host);
