using System.Globalization;
using System.Net;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Istio.Hosts;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using Proxy.Istio.Parsing;
using Proxy.Istio.Routing;

namespace Proxy.Istio.Compilation;

/// <summary>
/// Compiles validated objects into listeners, route tables and clusters, the way istiod builds an ingress gateway's
/// Envoy config.
/// </summary>
/// <remarks>
/// Step 1: resolve every gateway-bound VirtualService's destinations against ServiceEntries and DestinationRules
///         (errors for unknown hosts, ports and subsets), giving one <see cref="HttpRoute"/> per <c>spec.http[i]</c>.
/// Step 2: pick the Gateways this instance serves (selector vs. labels) and their HTTP servers; group by port.
/// Step 3: per port, bind each VirtualService (ordered by namespace/name) to every server whose Gateway it names and
///         whose hosts intersect its hosts; the virtual host is the narrower of the two hosts (Istio
///         pickMatchingGatewayHosts). Routes of several VirtualServices for one host are appended, then catch-all
///         routes are moved to the end (Istio SortVHostRoutes).
/// Step 4: one listener per port, <c>{address}_{port}</c>, with its compiled <see cref="IstioHttpRouter"/>.
/// </remarks>
internal sealed class IstioCompiler
{
    private readonly ParsedConfig _config;
    private readonly IstioBuildOptions _options;
    private readonly Diagnostics _diagnostics;
    private readonly ServiceRegistry _registry;
    private readonly DestinationRuleIndex _rules;
    private readonly ClusterFactory _clusters;
    private readonly Dictionary<HttpMatchConfig, RequestMatcher> _matchers = new(ReferenceEqualityComparer.Instance);

    public IstioCompiler(ParsedConfig config, IstioBuildOptions options, Diagnostics diagnostics)
    {
        _config = config;
        _options = options;
        _diagnostics = diagnostics;
        _registry = new ServiceRegistry(config.ServiceEntries, diagnostics);
        _rules = new DestinationRuleIndex(config.DestinationRules, diagnostics);
        _clusters = new ClusterFactory(diagnostics);
    }

    public (List<ListenerConfig> Listeners, List<ClusterConfig> Clusters) Compile()
    {
        var gateways = _config.Gateways.ToDictionary(static g => new GatewayRef(g.Meta.Namespace, g.Meta.Name));

        // Step 1
        var virtualServices = new List<CompiledVirtualService>();
        foreach (var vs in _config.VirtualServices.OrderBy(static v => v.Meta.SortKey, StringComparer.Ordinal))
        {
            if (vs.Gateways.Count == 0)
            {
                continue;
            }

            CheckGatewayRefs(vs, gateways);
            virtualServices.Add(new CompiledVirtualService(vs, CompileRoutes(vs)));
        }

        // Step 2
        var serversByPort = new SortedDictionary<int, List<(GatewayConfig Gateway, ServerConfig Server)>>();
        foreach (var gateway in _config.Gateways.OrderBy(static g => g.Meta.SortKey, StringComparer.Ordinal))
        {
            if (!IsSelected(gateway))
            {
                continue;
            }

            foreach (var server in gateway.Servers)
            {
                if (server.Protocol != PortProtocols.Http)
                {
                    _diagnostics.Warning(gateway.Meta.Location, $"spec.servers[{server.Index}].port.protocol",
                        $"protocol {server.Protocol} is not supported yet; server on port {server.PortNumber} skipped");
                    continue;
                }

                if (!serversByPort.TryGetValue(server.PortNumber, out var list))
                {
                    serversByPort[server.PortNumber] = list = [];
                }

                list.Add((gateway, server));
            }
        }

        // Steps 3 and 4
        var listeners = new List<ListenerConfig>();
        var usedClusters = new Dictionary<string, ClusterConfig>(StringComparer.Ordinal);
        foreach (var (port, servers) in serversByPort)
        {
            var router = BuildRouter(port, servers, virtualServices);
            foreach (var cluster in router.VirtualHosts.SelectMany(static h => h.Routes).SelectMany(static r => r.Route.Destinations).Select(static d => d.Cluster))
            {
                usedClusters.TryAdd(cluster.Name, cluster);
            }

            var bindPort = _options.PortOverrides is { } overrides && overrides.TryGetValue(port, out var overridden) ? overridden : port;
            listeners.Add(new ListenerConfig
            {
                Name = ListenerName(_options.ListenAddress, port),
                EndPoint = new IPEndPoint(_options.ListenAddress, bindPort),
                Router = router,
            });
        }

        return (listeners, [.. usedClusters.Values.OrderBy(static c => c.Name, StringComparer.Ordinal)]);
    }

    /// <summary>Istio's listener name: address and port joined by '_', e.g. <c>0.0.0.0_8080</c>.</summary>
    public static string ListenerName(IPAddress address, int port) =>
        string.Create(CultureInfo.InvariantCulture, $"{address}_{port}");

    private bool IsSelected(GatewayConfig gateway) =>
        _options.Labels is null || gateway.Selector is null || ClusterFactory.Includes(_options.Labels, gateway.Selector);

    private void CheckGatewayRefs(VirtualServiceConfig vs, Dictionary<GatewayRef, GatewayConfig> gateways)
    {
        foreach (var reference in vs.Gateways)
        {
            if (!gateways.TryGetValue(reference, out var gateway))
            {
                _diagnostics.Warning(vs.Meta.Location, "spec.gateways", $"Gateway {reference} is not defined; nothing binds through it");
                continue;
            }

            var intersects = vs.Hosts.Any(h => gateway.Servers.SelectMany(static s => s.Hosts).Any(g => AdmitsNamespace(g, vs.Meta.Namespace) && HostName.Matches(g.Host, h)));
            if (!intersects)
            {
                _diagnostics.Warning(vs.Meta.Location, "spec.hosts", $"no host matches a host of Gateway {reference}, so it serves none of them");
            }
        }
    }

    private List<(HttpRouteConfig Config, HttpRoute Route)> CompileRoutes(VirtualServiceConfig vs)
    {
        var routes = new List<(HttpRouteConfig, HttpRoute)>();
        var catchAllSeen = false;
        foreach (var route in vs.Http)
        {
            var path = $"spec.http[{route.Index}]";
            if (catchAllSeen)
            {
                // Istio stops translating a VirtualService's routes after one that matches everything.
                _diagnostics.Warning(vs.Meta.Location, path, "unreachable: an earlier route matches every request");
                continue;
            }

            var destinations = new List<WeightedCluster>();
            var ok = true;
            foreach (var destination in route.Destinations)
            {
                var cluster = ResolveCluster(vs, route, destination);
                if (cluster is null)
                {
                    ok = false;
                    continue;
                }

                // "If there is only one destination in a rule, it will receive all traffic", whatever its weight.
                var weight = route.Destinations.Count == 1 ? 100 : destination.Weight ?? 0;
                destinations.Add(new WeightedCluster(cluster, weight));
            }

            if (ok && route.Destinations.Count > 1 && destinations.All(static d => d.Weight == 0))
            {
                _diagnostics.Error(vs.Meta.Location, path + ".route", "the weights of all destinations are 0; at least one must be positive");
                ok = false;
            }

            if (!ok)
            {
                continue;
            }

            var name = route.Name ?? $"{vs.Meta.Namespace}/{vs.Meta.Name}.http[{route.Index}]";
            routes.Add((route, new HttpRoute(name, destinations)));
            catchAllSeen = route.Matches.Count == 0 || route.Matches.Any(static m => m.IsCatchAll);
        }

        return routes;
    }

    private ClusterConfig? ResolveCluster(VirtualServiceConfig vs, HttpRouteConfig route, RouteDestinationConfig destination)
    {
        var at = vs.Meta.Location;
        var path = $"spec.http[{route.Index}].route[{destination.Index}].destination";
        var service = _registry.Resolve(destination.Host, vs.Meta.Namespace);
        if (service is null)
        {
            var qualified = HostName.Qualify(destination.Host, vs.Meta.Namespace);
            _diagnostics.Error(at, path + ".host", qualified == destination.Host
                ? $"host \"{destination.Host}\" is not defined by any ServiceEntry"
                : $"host \"{destination.Host}\" ({qualified}) is not defined by any ServiceEntry");
            return null;
        }

        var ports = service.Entry.Ports;
        ServicePortConfig? port;
        if (destination.Port is { } number)
        {
            port = ports.FirstOrDefault(p => p.Number == number);
            if (port is null)
            {
                _diagnostics.Error(at, path + ".port.number",
                    $"port {number} is not defined by {service.Entry.Meta.Ref} for {service.Host.Qualified}");
            }
        }
        else if (ports.Count == 1)
        {
            port = ports[0];
        }
        else
        {
            port = null;
            _diagnostics.Error(at, path + ".port",
                $"is required: {service.Entry.Meta.Ref} defines several ports for {service.Host.Qualified} ({string.Join(", ", ports.Select(static p => p.Number))})");
        }

        var rule = _rules.For(service.Host);
        SubsetConfig? subset = null;
        if (destination.Subset is { } subsetName &&
            (rule is null || !rule.Subsets.TryGetValue(subsetName, out subset)))
        {
            _diagnostics.Error(at, path + ".subset",
                $"subset \"{subsetName}\" is not defined by any DestinationRule for {service.Host.Qualified}");
            return null;
        }

        return port is null ? null : _clusters.Get(service, port, subset, rule, at, path + ".subset");
    }

    private IstioHttpRouter BuildRouter(int port, List<(GatewayConfig Gateway, ServerConfig Server)> servers, List<CompiledVirtualService> virtualServices)
    {
        var hosts = new Dictionary<string, List<RouteEntry>>(StringComparer.Ordinal);
        var added = new HashSet<(VirtualServiceConfig, string, GatewayConfig)>();
        foreach (var compiled in virtualServices)
        {
            var vs = compiled.Config;
            foreach (var (gateway, server) in servers)
            {
                if (!vs.Gateways.Contains(new GatewayRef(gateway.Meta.Namespace, gateway.Meta.Name)))
                {
                    continue;
                }

                foreach (var domain in PickMatchingHosts(server, vs))
                {
                    if (!added.Add((vs, domain, gateway)))
                    {
                        continue;
                    }

                    if (!hosts.TryGetValue(domain, out var entries))
                    {
                        hosts[domain] = entries = [];
                    }

                    AddEntries(entries, compiled, gateway, port);
                }
            }
        }

        // Istio SortVHostRoutes: catch-all routes go last, order otherwise kept (OrderBy is stable).
        return new IstioHttpRouter(hosts.Select(static h => new VirtualHost(h.Key, [.. h.Value.OrderBy(static e => e.IsCatchAll)])));
    }

    /// <summary>
    /// Istio pickMatchingGatewayHosts: for each VirtualService host that intersects a server host admitted for the
    /// VirtualService's namespace, the virtual host is the narrower of the two (a <c>*</c> VirtualService on a
    /// <c>*.example.com</c> server serves <c>*.example.com</c>).
    /// </summary>
    private static HashSet<string> PickMatchingHosts(ServerConfig server, VirtualServiceConfig vs)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var vsHost in vs.Hosts)
        {
            foreach (var serverHost in server.Hosts)
            {
                if (AdmitsNamespace(serverHost, vs.Meta.Namespace) && HostName.Matches(serverHost.Host, vsHost))
                {
                    result.Add(HostName.SubsetOf(vsHost, serverHost.Host) ? vsHost : serverHost.Host);
                }
            }
        }

        return result;
    }

    private static bool AdmitsNamespace(GatewayHost host, string ns) => host.Namespace == "*" || host.Namespace == ns;

    private void AddEntries(List<RouteEntry> entries, CompiledVirtualService compiled, GatewayConfig gateway, int port)
    {
        var gatewayRef = new GatewayRef(gateway.Meta.Namespace, gateway.Meta.Name);
        foreach (var (config, route) in compiled.Routes)
        {
            if (config.Matches.Count == 0)
            {
                entries.Add(new RouteEntry(null, route, IsCatchAll: true));
                continue;
            }

            foreach (var match in config.Matches)
            {
                // Conditions on where the route is served are decided here, once, not per request.
                if ((match.Port is { } p && p != port) ||
                    (match.Gateways is { } names && !names.Contains(gatewayRef)) ||
                    (match.SourceLabels is { } labels && (_options.Labels is null || !ClusterFactory.Includes(_options.Labels, labels))) ||
                    (match.SourceNamespace is { } ns && ns != gateway.Meta.Namespace))
                {
                    continue;
                }

                if (!_matchers.TryGetValue(match, out var matcher))
                {
                    _matchers[match] = matcher = MatcherCompiler.Compile(match);
                }

                entries.Add(new RouteEntry(matcher, route, match.IsCatchAll));
            }
        }
    }

    private sealed record CompiledVirtualService(VirtualServiceConfig Config, List<(HttpRouteConfig Config, HttpRoute Route)> Routes);
}
