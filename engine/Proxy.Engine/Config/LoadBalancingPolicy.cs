namespace Proxy.Engine.Config;

/// <summary>How an endpoint is chosen within a cluster. Istio's default is <see cref="LeastRequest"/>.</summary>
public enum LoadBalancingPolicy
{
    /// <summary>Envoy's LEAST_REQUEST: with equal weights, power of two random choices, fewer active requests wins; with
    /// unequal weights (or endpoints warming up), weighted scheduling by <c>weight / (active + 1)</c>.</summary>
    LeastRequest = 0,

    /// <summary>Envoy's ROUND_ROBIN, weighted: each endpoint gets turns in proportion to its weight.</summary>
    RoundRobin,

    /// <summary>A random endpoint, weighted.</summary>
    Random,

    /// <summary>Envoy's RING_HASH (Istio <c>consistentHash</c>, the default algorithm): the request's
    /// <see cref="ClusterConfig.HashPolicy"/> key is looked up on a ring of <see cref="ClusterConfig.MinimumRingSize"/>
    /// or more points, each endpoint owning points in proportion to its weight.</summary>
    RingHash,

    /// <summary>Envoy's MAGLEV (Istio <c>consistentHash.maglev</c>): the request's <see cref="ClusterConfig.HashPolicy"/>
    /// key indexes a lookup table of <see cref="ClusterConfig.MaglevTableSize"/> entries filled by Maglev's
    /// permutations, weighted.</summary>
    Maglev,
}
