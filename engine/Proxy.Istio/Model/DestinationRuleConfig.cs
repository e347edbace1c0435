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
    IReadOnlyList<PortTrafficPolicyConfig>? PortLevelSettings = null)
{
    /// <summary><c>outlierDetection</c>, with Istio's applyOutlierDetection defaults and zero handling applied.</summary>
    public OutlierDetectionConfig? OutlierDetection { get; init; }
}

/// <summary><c>portLevelSettings[]</c>: the policy for one service port, replacing the enclosing policy's fields.</summary>
internal sealed record PortTrafficPolicyConfig(int Port, TrafficPolicyConfig Policy);

/// <summary>
/// <c>connectionPool</c> as written (validated); null members were not set. Istio's applyConnectionPool reads 0 as
/// "not set" for the limits, which <see cref="Compilation.ClusterFactory"/> applies.
/// </summary>
internal sealed record ConnectionPoolConfig(TimeSpan? ConnectTimeout, TimeSpan? TcpIdleTimeout, TimeSpan? HttpIdleTimeout)
{
    /// <summary><c>tcp.maxConnections</c>.</summary>
    public int? MaxConnections { get; init; }

    /// <summary><c>tcp.tcpKeepalive</c>, in Envoy's whole seconds.</summary>
    public TcpKeepAliveSettings? TcpKeepAlive { get; init; }

    /// <summary><c>tcp.maxConnectionDuration</c>.</summary>
    public TimeSpan? MaxConnectionDuration { get; init; }

    /// <summary><c>http.http1MaxPendingRequests</c>.</summary>
    public int? Http1MaxPendingRequests { get; init; }

    /// <summary><c>http.http2MaxRequests</c>.</summary>
    public int? Http2MaxRequests { get; init; }

    /// <summary><c>http.maxRequestsPerConnection</c>.</summary>
    public int? MaxRequestsPerConnection { get; init; }

    /// <summary><c>http.maxRetries</c>.</summary>
    public int? MaxRetries { get; init; }
}

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
