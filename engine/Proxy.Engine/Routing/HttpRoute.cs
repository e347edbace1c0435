using Proxy.Engine.Config;

namespace Proxy.Engine.Routing;

/// <summary>What a matched route tells the engine to do: forward to one of the weighted destinations.</summary>
public sealed class HttpRoute
{
    private readonly WeightedCluster[] _destinations;
    private readonly int _totalWeight;

    /// <param name="name">Route name for logs and metrics (Envoy's route_name).</param>
    /// <param name="destinations">Destinations with relative weights (Istio: weight/(sum of weights)); weight 0 gets no traffic.</param>
    public HttpRoute(string name, IReadOnlyList<WeightedCluster> destinations)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(destinations);
        Name = name;
        _destinations = [.. destinations];
        foreach (var d in _destinations)
        {
            if (d.Weight < 0)
            {
                throw new ArgumentException("Weights must not be negative.", nameof(destinations));
            }

            _totalWeight += d.Weight;
        }
    }

    public string Name { get; }

    public IReadOnlyList<WeightedCluster> Destinations => _destinations;

    /// <summary>Picks a destination with probability weight/(sum of weights); null when every weight is 0 or there are none.</summary>
    public ClusterConfig? PickCluster()
    {
        var destinations = _destinations;
        if (destinations.Length == 1)
        {
            return destinations[0].Weight > 0 ? destinations[0].Cluster : null;
        }

        if (_totalWeight == 0)
        {
            return null;
        }

        var ticket = Random.Shared.Next(_totalWeight);
        for (var i = 0; i < destinations.Length; i++)
        {
            ticket -= destinations[i].Weight;
            if (ticket < 0)
            {
                return destinations[i].Cluster;
            }
        }

        return destinations[^1].Cluster;
    }
}
