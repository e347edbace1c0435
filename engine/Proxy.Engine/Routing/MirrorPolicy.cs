using Proxy.Engine.Config;

namespace Proxy.Engine.Routing;

/// <summary>
/// Send a copy of matching requests to another cluster, fire and forget (Envoy <c>request_mirror_policies</c>, Istio
/// <c>mirror</c>/<c>mirrors</c>). The copy's Host gets the <c>-shadow</c> suffix; its response is discarded; it never
/// delays or fails the primary request.
/// </summary>
/// <param name="Cluster">Where the copies go.</param>
/// <param name="Percentage">Percentage of requests mirrored, 0 to 100.</param>
public sealed record MirrorPolicy(ClusterConfig Cluster, double Percentage = 100);
