using Proxy.Engine.Routing;
using Proxy.Istio.Model;
using Proxy.Istio.Routing;

namespace Proxy.Istio.Compilation;

internal sealed partial class IstioCompiler
{
    /// <summary>Envoy answers <c>require_tls: ALL</c> without a route; this names the route in logs.</summary>
    private const string HttpsRedirectRouteName = "https-redirect";

    private HttpRoute? _httpsRedirect;

    /// <summary>
    /// The route table of plaintext HTTP servers sharing a port (Istio's <c>http.&lt;port&gt;</c>), or of one
    /// terminating HTTPS server (Istio's per-server <c>https.&lt;port&gt;.&lt;portName&gt;.&lt;gateway&gt;.&lt;namespace&gt;</c>).
    /// </summary>
    /// <remarks>
    /// A server with <c>tls.httpsRedirect</c> marks every virtual host it contributes, and each of its own hosts, as
    /// Envoy <c>require_tls: ALL</c> (Istio buildGatewayHTTPRouteConfig): such a host only redirects to https, even
    /// when another server on the port also serves it.
    /// </remarks>
    private IstioHttpRouter BuildRouter(int port, List<(GatewayConfig Gateway, ServerConfig Server)> servers, List<CompiledVirtualService> virtualServices)
    {
        var hosts = new Dictionary<string, List<RouteEntry>>(StringComparer.Ordinal);
        var redirectHosts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, server) in servers.Where(static s => s.Server.Tls is { HttpsRedirect: true }))
        {
            redirectHosts.UnionWith(server.Hosts.Select(static h => h.Host));
        }

        var added = new HashSet<(VirtualServiceConfig, string, GatewayConfig)>();
        foreach (var compiled in virtualServices)
        {
            var vs = compiled.Config;
            foreach (var (gateway, server) in servers)
            {
                if (!IsBound(vs, gateway))
                {
                    continue;
                }

                foreach (var domain in PickMatchingHosts(server, vs))
                {
                    if (server.Tls is { HttpsRedirect: true })
                    {
                        redirectHosts.Add(domain);
                    }

                    if (!added.Add((vs, domain, gateway)))
                    {
                        continue;
                    }

                    if (!hosts.TryGetValue(domain, out var entries))
                    {
                        hosts[domain] = entries = [];
                    }

                    AddEntries(entries, compiled, gateway, server, port);
                }
            }
        }

        if (redirectHosts.Count > 0)
        {
            _httpsRedirect ??= HttpRoute.CreateHttpsRedirect(HttpsRedirectRouteName);
            foreach (var domain in redirectHosts)
            {
                hosts[domain] = [new RouteEntry(null, _httpsRedirect, IsCatchAll: true)];
            }
        }

        // Istio SortVHostRoutes: catch-all routes go last, order otherwise kept (OrderBy is stable).
        return new IstioHttpRouter(hosts.Select(static h => new VirtualHost(h.Key, [.. h.Value.OrderBy(static e => e.IsCatchAll)])));
    }

    /// <summary>
    /// The route entries a VirtualService contributes to one virtual host of one server: one per match block that
    /// holds where the route is served (Istio TranslateRoute's port and sourceMatchHTTP checks), or one catch-all for
    /// a route without match blocks. The VirtualService's routes end at the first catch-all served here.
    /// </summary>
    private void AddEntries(List<RouteEntry> entries, CompiledVirtualService compiled, GatewayConfig gateway, ServerConfig server, int port)
    {
        var gatewayRef = new GatewayRef(gateway.Meta.Namespace, gateway.Meta.Name);

        // Istio RouteOptions.IsTLS: "server.Tls != nil", which decides the scheme a redirect's port is elided for.
        var serverHasTls = server.Tls is not null;
        foreach (var route in compiled.Routes)
        {
            var config = route.Config;
            if (config.HasInvalidMatch)
            {
                continue;
            }

            if (config.Matches.Count == 0)
            {
                entries.Add(new RouteEntry(null, route.For(null, port, serverHasTls), IsCatchAll: true));
                return;
            }

            foreach (var match in config.Matches)
            {
                // Conditions on where the route is served are decided here, once, not per request.
                if (!IsServedHere(match, gatewayRef, gateway, port))
                {
                    continue;
                }

                if (!_matchers.TryGetValue(match, out var matcher))
                {
                    _matchers[match] = matcher = MatcherCompiler.Compile(match);
                }

                entries.Add(new RouteEntry(matcher, route.For(match, port, serverHasTls), match.IsCatchAll));
                if (match.IsCatchAll)
                {
                    // BuildHTTPRoutesForVirtualService: "This is a catch all path. Routes are matched in order, so we
                    // will never go beyond this match". Later routes must not survive to be sorted before it.
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Istio TranslateRoute and sourceMatchHTTP for a gateway proxy: <c>port</c> must be the server's; a match
    /// naming <c>gateways</c> holds on those gateways only, and then <c>sourceLabels</c> and <c>sourceNamespace</c>
    /// are not looked at; otherwise <c>sourceLabels</c> select the gateway workload's own labels (<c>--labels</c>)
    /// and <c>sourceNamespace</c> its namespace (the Gateway's). Without <c>--labels</c> this instance stands for any
    /// workload (it serves every Gateway whatever its selector), so <c>sourceLabels</c> hold.
    /// </summary>
    private bool IsServedHere(HttpMatchConfig match, GatewayRef gatewayRef, GatewayConfig gateway, int port)
    {
        if (match.Port is { } p && p != port)
        {
            return false;
        }

        if (match.Gateways is { } names && (names.Count > 0 || match.GatewaysIncludeMesh))
        {
            return names.Contains(gatewayRef);
        }

        if (match.SourceLabels is { } labels && _options.Labels is { } own && !ClusterFactory.Includes(own, labels))
        {
            return false;
        }

        return match.SourceNamespace is null || match.SourceNamespace == gateway.Meta.Namespace;
    }
}
