using Proxy.Engine.Routing;

namespace Proxy.Istio.Routing;

/// <summary>
/// The L4 routes of a TLS passthrough server, by SNI (Istio VirtualService <c>tls[].match[].sniHosts</c>, which Istio
/// compiles to one Envoy filter chain per SNI set). Lookup: the exact name, then wildcards longest suffix first
/// (<c>*.com</c> matches <c>foo.example.com</c>, as the TLSMatchAttributes documentation says), then <c>*</c>. A hello
/// without SNI reaches only <c>*</c>. Immutable and thread-safe.
/// </summary>
internal sealed class SniTcpRouter : ITcpRouter
{
    private readonly Dictionary<string, TcpRoute> _exact;
    private readonly (string Suffix, TcpRoute Route)[] _wildcards;
    private readonly TcpRoute? _any;

    /// <param name="entries">Lower-case SNI hosts in VirtualService order; on a repeated host the first entry wins.</param>
    public SniTcpRouter(IEnumerable<(string SniHost, TcpRoute Route)> entries)
    {
        _exact = new Dictionary<string, TcpRoute>(StringComparer.OrdinalIgnoreCase);
        var wildcards = new List<(string, TcpRoute)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (host, route) in entries)
        {
            if (!seen.Add(host))
            {
                continue;
            }

            if (host == "*")
            {
                _any = route;
            }
            else if (host.StartsWith('*'))
            {
                wildcards.Add((host[1..], route));
            }
            else
            {
                _exact.Add(host, route);
            }
        }

        // Longest suffix first; OrderByDescending is stable, so equal lengths keep VirtualService order.
        _wildcards = [.. wildcards.OrderByDescending(static w => w.Item1.Length)];
    }

    /// <summary>Every route this router can pick (to collect the clusters a config uses).</summary>
    public IEnumerable<TcpRoute> Routes =>
        _exact.Values.Concat(_wildcards.Select(static w => w.Route)).Concat(_any is null ? [] : [_any]).Distinct();

    public TcpRoute? Route(in TcpRouteContext context)
    {
        if (context.ServerName is not { Length: > 0 } sni)
        {
            return _any;
        }

        if (_exact.TryGetValue(sni, out var exact))
        {
            return exact;
        }

        foreach (var (suffix, route) in _wildcards)
        {
            // "*.example.com" needs at least one character before ".example.com".
            if (sni.Length > suffix.Length && sni.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return route;
            }
        }

        return _any;
    }
}
