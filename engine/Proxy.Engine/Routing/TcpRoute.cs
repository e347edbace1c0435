using Proxy.Engine.Config;

namespace Proxy.Engine.Routing;

/// <summary>An L4 route: pump the connection to one of the weighted destinations.</summary>
public sealed class TcpRoute
{
    private readonly WeightedClusterPicker _picker;

    public TcpRoute(string name, IReadOnlyList<WeightedCluster> destinations)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        _picker = new WeightedClusterPicker(destinations);
    }

    public string Name { get; }

    public IReadOnlyList<WeightedCluster> Destinations => _picker.Destinations;

    /// <summary>Picks a destination with probability weight/(sum of weights); null when every weight is 0.</summary>
    public ClusterConfig? PickCluster() => _picker.Pick();
}
