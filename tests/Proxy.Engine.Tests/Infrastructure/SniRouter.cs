using Proxy.Engine.Config;
using Proxy.Engine.Routing;

namespace Proxy.Engine.Tests.Infrastructure;

/// <summary>A programmatic L4 router for tests: SNI -> cluster, with an optional fallback for any other name.</summary>
public sealed class SniRouter : ITcpRouter
{
    private readonly Dictionary<string, TcpRoute> _routes = new(StringComparer.OrdinalIgnoreCase);
    private TcpRoute? _fallback;

    public ConcurrentCounter Calls { get; } = new();

    public SniRouter Add(string serverName, ClusterConfig cluster)
    {
        _routes[serverName] = new TcpRoute(serverName, [new WeightedCluster(cluster, 1)]);
        return this;
    }

    public SniRouter Fallback(ClusterConfig cluster)
    {
        _fallback = new TcpRoute("fallback", [new WeightedCluster(cluster, 1)]);
        return this;
    }

    public TcpRoute? Route(in TcpRouteContext context)
    {
        Calls.Increment();
        return context.ServerName is { } name && _routes.TryGetValue(name, out var route) ? route : _fallback;
    }
}

public sealed class ConcurrentCounter
{
    private int _value;

    public int Value => Volatile.Read(ref _value);

    public void Increment() => Interlocked.Increment(ref _value);
}
