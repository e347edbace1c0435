namespace Proxy.Istio.Model;

internal sealed record GatewayConfig(IstioObjectMeta Meta, IReadOnlyDictionary<string, string>? Selector, IReadOnlyList<ServerConfig> Servers);

/// <summary>A Gateway server. <see cref="Protocol"/> is upper-case (HTTP, HTTPS, TCP, ...).</summary>
internal sealed record ServerConfig(int Index, int PortNumber, string PortName, string Protocol, IReadOnlyList<GatewayHost> Hosts);

/// <summary>A server host <c>[namespace/]dnsName</c>: <see cref="Namespace"/> is <c>*</c> for any, else one namespace
/// (<c>.</c> already resolved to the Gateway's own); <see cref="Host"/> is lower-case.</summary>
internal sealed record GatewayHost(string Namespace, string Host);
