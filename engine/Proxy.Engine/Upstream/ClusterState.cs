namespace Proxy.Engine.Upstream;

/// <summary>Live state of a cluster: endpoint pools and load-balancing state. Survives reloads that keep the cluster.</summary>
internal sealed class ClusterState
{
}
