using Proxy.Istio.Model;

namespace Proxy.Istio.Parsing;

/// <summary>The objects of all sources, each kind in source order, without the parts that failed validation.</summary>
internal sealed class ParsedConfig
{
    public List<GatewayConfig> Gateways { get; } = [];

    public List<VirtualServiceConfig> VirtualServices { get; } = [];

    public List<DestinationRuleConfig> DestinationRules { get; } = [];

    public List<ServiceEntryConfig> ServiceEntries { get; } = [];
}
