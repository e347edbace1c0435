using Proxy.Engine.Config;

namespace Proxy.Istio.Model;

/// <summary>A DestinationRule. <c>Host</c> is qualified and lower-case; <c>RawHost</c> is as written, lower-case
/// (a DestinationRule host matches a service literally or after qualification).</summary>
internal sealed record DestinationRuleConfig(IstioObjectMeta Meta, string Host, string RawHost, TrafficPolicyConfig? TrafficPolicy, IReadOnlyList<SubsetConfig> Subsets);

internal sealed record SubsetConfig(string Name, IReadOnlyDictionary<string, string> Labels, TrafficPolicyConfig? TrafficPolicy);

/// <summary>The traffic policy fields this slice acts on; null members were not set.</summary>
internal sealed record TrafficPolicyConfig(LoadBalancingPolicy? LoadBalancing, ConnectionPoolConfig? ConnectionPool);

internal sealed record ConnectionPoolConfig(TimeSpan? ConnectTimeout, TimeSpan? TcpIdleTimeout, TimeSpan? HttpIdleTimeout);
