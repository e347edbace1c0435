namespace Proxy.Istio.Routing;

/// <summary>The routes of one host on one listener, scanned in order; first match wins.</summary>
internal sealed class VirtualHost(string domain, RouteEntry[] routes)
{
    public string Domain { get; } = domain;

    public RouteEntry[] Routes { get; } = routes;
}
