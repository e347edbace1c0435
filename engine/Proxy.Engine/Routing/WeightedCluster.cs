using Proxy.Engine.Config;

namespace Proxy.Engine.Routing;

/// <summary>One destination of a route and its relative weight.</summary>
public sealed record WeightedCluster(ClusterConfig Cluster, int Weight)
{
    /// <summary>Header edits for requests sent to this destination, applied before the route's own.</summary>
    public HeaderOperations? RequestHeaders { get; init; }

    /// <summary>Header edits for responses from this destination, applied before the route's own.</summary>
    public HeaderOperations? ResponseHeaders { get; init; }

    /// <summary>Replaces the Host sent upstream when this destination is picked and the route's own
    /// <see cref="HttpRoute.AuthorityRewrite"/> is null (Envoy weighted cluster <c>host_rewrite_literal</c>; Istio
    /// lets the route's authority win).</summary>
    public string? AuthorityRewrite { get; init; }
}
