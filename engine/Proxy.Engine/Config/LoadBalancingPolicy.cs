namespace Proxy.Engine.Config;

/// <summary>How an endpoint is chosen within a cluster. Istio's default is <see cref="LeastRequest"/>.</summary>
public enum LoadBalancingPolicy
{
    /// <summary>Power of two random choices, fewer active requests wins (Envoy's LEAST_REQUEST).</summary>
    LeastRequest = 0,
    RoundRobin,
    Random,
}
