namespace Proxy.Engine.Config;

/// <summary>
/// Envoy's cluster circuit breakers (Istio DestinationRule <c>connectionPool</c>): limits on what one cluster may hold
/// at once across all its endpoints. A request that would pass a limit is answered at once with 503, flag UO and
/// <c>x-envoy-overloaded: true</c>; nothing queues past <see cref="MaxPendingRequests"/>. Istio's defaults are
/// unlimited (2^32-1), which <see cref="Unlimited"/> mirrors with <see cref="int.MaxValue"/>.
/// </summary>
public sealed record CircuitBreakerThresholds
{
    public static readonly CircuitBreakerThresholds Unlimited = new();

    /// <summary>Upstream connections open at once (Istio <c>tcp.maxConnections</c>). A request that finds no idle
    /// connection and no room for a new one waits as a pending request. As in Envoy, an endpoint with no connection at
    /// all may always open one, so a limit below the endpoint count cannot starve an endpoint.</summary>
    public int MaxConnections { get; init; } = int.MaxValue;

    /// <summary>Requests waiting for a connection (connecting, or queued behind <see cref="MaxConnections"/>) at once
    /// (Istio <c>http.http1MaxPendingRequests</c>).</summary>
    public int MaxPendingRequests { get; init; } = int.MaxValue;

    /// <summary>Upstream requests in flight at once, each retry attempt counted (Istio <c>http.http2MaxRequests</c>,
    /// which applies to HTTP/1.1 too).</summary>
    public int MaxRequests { get; init; } = int.MaxValue;

    /// <summary>Retries in flight at once (Istio <c>http.maxRetries</c>). A retry over the limit is not made: the
    /// failed attempt's answer goes to the client, with flag UO.</summary>
    public int MaxRetries { get; init; } = int.MaxValue;
}
