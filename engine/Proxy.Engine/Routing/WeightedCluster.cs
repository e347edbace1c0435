using Proxy.Engine.Config;

namespace Proxy.Engine.Routing;

/// <summary>One destination of a route and its relative weight.</summary>
public sealed record WeightedCluster(ClusterConfig Cluster, int Weight);
