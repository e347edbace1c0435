using Proxy.Istio.Model;

namespace Proxy.Istio.Parsing;

/// <summary>The valid objects of all sources, each kind in source order. Objects with errors are left out.</summary>
internal sealed class ParsedConfig
{
    public List<GatewayConfig> Gateways { get; } = [];

    public List<VirtualServiceConfig> VirtualServices { get; } = [];

    public List<DestinationRuleConfig> DestinationRules { get; } = [];

    public List<ServiceEntryConfig> ServiceEntries { get; } = [];
}
