using Proxy.Engine.Config;

namespace Proxy.Engine.Routing;

/// <summary>What a matched route tells the engine to do: forward to one of the weighted destinations, or redirect.</summary>
public sealed class HttpRoute
{
    private readonly WeightedClusterPicker _picker;

    /// <param name="name">Route name for logs and metrics (Envoy's route_name).</param>
    /// <param name="destinations">Destinations with relative weights (Istio: weight/(sum of weights)); weight 0 gets no traffic.</param>
    public HttpRoute(string name, IReadOnlyList<WeightedCluster> destinations)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        _picker = new WeightedClusterPicker(destinations);
    }

    public string Name { get; }

    public IReadOnlyList<WeightedCluster> Destinations => _picker.Destinations;

    /// <summary>
    /// Answer 301 to the same authority and path over https instead of forwarding (Istio Gateway
    /// <c>tls.httpsRedirect</c>, Envoy <c>require_tls: ALL</c>). An explicit port 80 in Host is dropped; any other
    /// port is kept.
    /// </summary>
    public bool HttpsRedirect { get; private init; }

    /// <summary>A route that redirects every request to https (see <see cref="HttpsRedirect"/>).</summary>
    public static HttpRoute CreateHttpsRedirect(string name) => new(name, []) { HttpsRedirect = true };

    /// <summary>Picks a destination with probability weight/(sum of weights); null when every weight is 0 or there are none.</summary>
    public ClusterConfig? PickCluster() => _picker.Pick();
}
