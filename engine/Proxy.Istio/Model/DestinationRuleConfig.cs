using Proxy.Engine.Config;

namespace Proxy.Istio.Model;

/// <summary>A DestinationRule. <c>Host</c> is qualified and lower-case; <c>RawHost</c> is as written, lower-case
/// (a DestinationRule host matches a service literally or after qualification).</summary>
internal sealed record DestinationRuleConfig(IstioObjectMeta Meta, string Host, string RawHost, TrafficPolicyConfig? TrafficPolicy, IReadOnlyList<SubsetConfig> Subsets);

internal sealed record SubsetConfig(string Name, IReadOnlyDictionary<string, string> Labels, TrafficPolicyConfig? TrafficPolicy);

/// <summary>The traffic policy fields this gateway acts on; null members were not set. <see cref="PortLevelSettings"/>
/// is empty inside a port-level policy.</summary>
internal sealed record TrafficPolicyConfig(
    LoadBalancerConfig? LoadBalancer,
    ConnectionPoolConfig? ConnectionPool,
    ClientTlsConfig? Tls = null,
    IReadOnlyList<PortTrafficPolicyConfig>? PortLevelSettings = null);

/// <summary><c>portLevelSettings[]</c>: the policy for one service port, replacing the enclosing policy's fields.</summary>
internal sealed record PortTrafficPolicyConfig(int Port, TrafficPolicyConfig Policy);

internal sealed record ConnectionPoolConfig(TimeSpan? ConnectTimeout, TimeSpan? TcpIdleTimeout, TimeSpan? HttpIdleTimeout);

/// <summary>
/// <c>loadBalancer</c> (LoadBalancerSettings), validated: <c>simple</c> or <c>consistentHash</c> as the engine's policy,
/// the hash key and table sizes for consistent hashing, and warmup for ROUND_ROBIN / LEAST_REQUEST (null otherwise).
/// A subset's or port's <c>loadBalancer</c> replaces the enclosing one whole, as Istio's merge does.
/// </summary>
internal sealed record LoadBalancerConfig(
    LoadBalancingPolicy Policy,
    HashPolicy? HashKey = null,
    int MinimumRingSize = ClusterConfig.DefaultMinimumRingSize,
    int MaglevTableSize = ClusterConfig.DefaultMaglevTableSize,
    SlowStartConfig? Warmup = null);
