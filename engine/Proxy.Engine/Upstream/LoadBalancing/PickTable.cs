using Proxy.Engine.Config;

namespace Proxy.Engine.Upstream.LoadBalancing;

/// <summary>
/// What a pick chooses among: one set of endpoints with the load balancer's tables built over it (weights, the ring hash
/// or Maglev table, the EDF scheduler). Immutable once built, except the scheduler's own locked state. Envoy rebuilds its
/// load balancer over the healthy hosts whenever outlier detection ejects or returns one; the cluster does the same by
/// building a new table over the endpoints that may be picked and publishing it with one volatile write, so a pick reads
/// one object, without a lock or an allocation, whatever happens to health meanwhile.
/// </summary>
internal sealed class PickTable
{
    /// <param name="endpoints">The endpoints to pick among; the table keeps the array (indices refer to it).</param>
    /// <param name="config">The cluster: its policy and table sizes.</param>
    /// <param name="warming">Whether some endpoint of the cluster is in slow start (the scheduler is needed even with
    /// equal weights).</param>
    /// <param name="schedulingWeight">An endpoint's weight for the scheduler right now.</param>
    public PickTable(EndpointState[] endpoints, ClusterConfig config, bool warming, Func<EndpointState, double> schedulingWeight)
    {
        Endpoints = endpoints;
        var uniform = true;
        CumulativeWeights = new long[endpoints.Length];
        long total = 0;
        for (var i = 0; i < endpoints.Length; i++)
        {
            uniform &= endpoints[i].Weight == endpoints[0].Weight;
            total += endpoints[i].Weight;
            CumulativeWeights[i] = total;
        }

        UniformWeights = uniform;
        switch (config.LoadBalancing)
        {
            case LoadBalancingPolicy.RingHash:
                Ring = new RingHashTable(endpoints, config.MinimumRingSize);
                break;
            case LoadBalancingPolicy.Maglev:
                Maglev = new MaglevTable(endpoints, config.MaglevTableSize);
                break;

            // Envoy (EdfLoadBalancerBase::refresh) skips the scheduler when weights are equal and no endpoint is in slow
            // start: the unweighted picks are then exact round robin and power of two choices.
            case LoadBalancingPolicy.RoundRobin or LoadBalancingPolicy.LeastRequest when endpoints.Length > 1 && (!uniform || warming):
                SchedulingWeight = index => schedulingWeight(endpoints[index]);
                Scheduler = new EdfScheduler(endpoints.Length, SchedulingWeight);
                break;
        }
    }

    public EndpointState[] Endpoints { get; }

    /// <summary>Running totals of the endpoints' weights (weighted random picks).</summary>
    public long[] CumulativeWeights { get; }

    public bool UniformWeights { get; }

    public RingHashTable? Ring { get; }

    public MaglevTable? Maglev { get; }

    /// <summary>Weighted round robin / least request, and any pick while an endpoint warms up (Envoy's EDF scheduler).</summary>
    public EdfScheduler? Scheduler { get; }

    /// <summary>The scheduler's weight of the endpoint at an index of <see cref="Endpoints"/>.</summary>
    public Func<int, double>? SchedulingWeight { get; }
}
