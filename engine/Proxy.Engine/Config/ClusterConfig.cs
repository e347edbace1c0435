namespace Proxy.Engine.Config;

/// <summary>
/// A named set of upstream endpoints and how to reach them (Envoy's cluster). Immutable once published; the engine
/// attaches live state (pools, counters) to it when the config is applied.
/// </summary>
public sealed class ClusterConfig
{
    public const int DefaultMinimumRingSize = 1024;

    public const int DefaultMaglevTableSize = 65537;

    /// <summary>Unique name, e.g. Envoy/Istio style <c>outbound|80|v1|reviews.default.svc.cluster.local</c>.</summary>
    public required string Name { get; init; }

    public required IReadOnlyList<EndpointConfig> Endpoints { get; init; }

    public LoadBalancingPolicy LoadBalancing { get; init; } = LoadBalancingPolicy.LeastRequest;

    /// <summary>The request's hash key for <see cref="LoadBalancingPolicy.RingHash"/> and
    /// <see cref="LoadBalancingPolicy.Maglev"/>; without one every pick is random. Ignored by the other policies.</summary>
    public HashPolicy? HashPolicy { get; init; }

    /// <summary>Ring hash: the least number of points on the ring (Envoy and Istio default 1024). More points spread
    /// keys more evenly across endpoints; the ring is capped at Envoy's 8M points.</summary>
    public int MinimumRingSize { get; init; } = DefaultMinimumRingSize;

    /// <summary>Maglev: the lookup table's size, a prime (Envoy and Istio default 65537). Larger tables move fewer keys
    /// when endpoints change.</summary>
    public int MaglevTableSize { get; init; } = DefaultMaglevTableSize;

    /// <summary>Slow start for endpoints that join the cluster later (round robin and least request only); null for none.</summary>
    public SlowStartConfig? SlowStart { get; init; }

    /// <summary>TCP connect timeout. Istio default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an upstream keep-alive connection may sit idle in the pool, and how long an L4 connection to
    /// this cluster may carry no bytes in either direction before both sides are closed. Istio default 1 h.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Circuit breakers: connections, pending requests, requests and retries at once (Istio
    /// <c>connectionPool</c>); unlimited by default, as in Istio.</summary>
    public CircuitBreakerThresholds CircuitBreakers { get; init; } = CircuitBreakerThresholds.Unlimited;

    /// <summary>Requests one upstream connection carries before it is closed (Istio
    /// <c>http.maxRequestsPerConnection</c>); 0 is unlimited, 1 disables keep-alive.</summary>
    public int MaxRequestsPerConnection { get; init; }

    /// <summary>How long an upstream connection may live (Istio <c>tcp.maxConnectionDuration</c>): past it the connection
    /// is closed when idle, or after its current request; null for no limit.</summary>
    public TimeSpan? MaxConnectionDuration { get; init; }

    /// <summary>TCP keep-alive probes on upstream sockets; null leaves SO_KEEPALIVE off.</summary>
    public TcpKeepAliveSettings? TcpKeepAlive { get; init; }

    /// <summary>Passive health checking of the endpoints; null for none.</summary>
    public OutlierDetectionConfig? OutlierDetection { get; init; }

    /// <summary>TLS origination to the endpoints (Istio DestinationRule <c>tls</c> SIMPLE/MUTUAL); null sends plaintext.</summary>
    public UpstreamTlsSettings? Tls { get; init; }

    /// <summary>Live state, attached by the engine when a config containing this cluster is applied.</summary>
    internal Upstream.ClusterState? State { get; set; }
}
