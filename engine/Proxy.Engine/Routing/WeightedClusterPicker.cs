using Proxy.Engine.Config;

namespace Proxy.Engine.Routing;

/// <summary>Weighted choice among a route's destinations (Istio: weight/(sum of weights); weight 0 gets nothing).</summary>
internal sealed class WeightedClusterPicker
{
    private readonly WeightedCluster[] _destinations;
    private readonly int _totalWeight;

    public WeightedClusterPicker(IReadOnlyList<WeightedCluster> destinations)
    {
        ArgumentNullException.ThrowIfNull(destinations);
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

    public IReadOnlyList<WeightedCluster> Destinations => _destinations;

    public ClusterConfig? Pick() => PickDestination()?.Cluster;

    public WeightedCluster? PickDestination()
    {
        var destinations = _destinations;
        if (destinations.Length == 1)
        {
            return destinations[0].Weight > 0 ? destinations[0] : null;
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
                return destinations[i];
            }
        }

        return destinations[^1];
    }
}
