using Proxy.Engine.Config;

namespace Proxy.Engine.Routing;

/// <summary>One destination of a route and its relative weight.</summary>
public sealed record WeightedCluster(ClusterConfig Cluster, int Weight)
{
    /// <summary>Header edits for requests sent to this destination, applied before the route's own.</summary>
    public HeaderOperations? RequestHeaders { get; init; }

    /// <summary>Header edits for responses from this destination, applied before the route's own.</summary>
    public HeaderOperations? ResponseHeaders { get; init; }
}
