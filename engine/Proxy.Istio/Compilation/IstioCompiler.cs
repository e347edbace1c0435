using System.Globalization;
using System.Net;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Istio.Hosts;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using Proxy.Istio.Parsing;
using Proxy.Istio.Routing;
using Proxy.Istio.Tls;

namespace Proxy.Istio.Compilation;

/// <summary>
/// Compiles validated objects into listeners, route tables and clusters, the way istiod builds an ingress gateway's
/// Envoy config.
/// </summary>
/// <remarks>
/// Step 1: load every DestinationRule's TLS files, then merge delegate VirtualServices into the gateway-bound ones
///         that name them and resolve destinations and mirrors against ServiceEntries and DestinationRules (errors
///         for unknown hosts, ports and subsets), giving one <see cref="CompiledHttpRoute"/> per http route and one
///         <see cref="TcpRoute"/> per <c>spec.tls[i]</c> and <c>spec.tcp[i]</c>.
/// Step 2: pick the Gateways this instance serves (selector vs. labels) and group their servers by port. A port
///         carries plaintext HTTP servers, or TLS servers (HTTPS and TLS, told apart by SNI), or one TCP server;
///         mixing them is an error, a second TCP server or a TLS server repeating a host is skipped with a warning
///         (Istio mergeGateways).
/// Step 3: per port, bind each VirtualService (ordered by namespace/name) to every server whose Gateway it names and
///         whose hosts intersect its hosts. HTTP: the virtual host is the narrower of the two hosts (Istio
///         pickMatchingGatewayHosts); each route gives an <see cref="HttpRoute"/> per match block where its actions
///         depend on the block or the server; routes of several VirtualServices for one host are appended, then catch-all
///         routes are moved to the end (Istio SortVHostRoutes); an httpsRedirect server's hosts only redirect.
///         TLS: one filter chain per server, terminating with its own route table (Istio's per-server RDS) or its
///         TCP route, or passing through by SNI with the tls routes. TCP: the first matching tcp route.
/// Step 4: one listener per port, <c>{address}_{port}</c>.
/// </remarks>
internal sealed partial class IstioCompiler
{
    private readonly ParsedConfig _config;
    private readonly IstioBuildOptions _options;
    private readonly Diagnostics _diagnostics;
    private readonly ServiceRegistry _registry;
    private readonly DestinationRuleIndex _rules;
    private readonly CredentialSources _credentials;
    private readonly UpstreamTlsFactory _upstreamTls;
    private readonly ClusterFactory _clusters;
    private readonly Dictionary<HttpMatchConfig, RequestMatcher> _matchers = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<DelegateRef, VirtualServiceConfig> _virtualServices = [];
    private readonly Dictionary<IReadOnlyList<RouteDestinationConfig>, List<WeightedCluster>?> _resolvedDestinations = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<MirrorConfig, ClusterConfig?> _mirrorClusters = new(ReferenceEqualityComparer.Instance);

    public IstioCompiler(ParsedConfig config, IstioBuildOptions options, Diagnostics diagnostics)
    {
        _config = config;
        _options = options;
        _diagnostics = diagnostics;
        _registry = new ServiceRegistry(config.ServiceEntries, diagnostics);
        _rules = new DestinationRuleIndex(config.DestinationRules, diagnostics);
        _credentials = new CredentialSources(options.CredentialsDirectory, options.TimeProvider);
        _upstreamTls = new UpstreamTlsFactory(_credentials, diagnostics);
        _clusters = new ClusterFactory(diagnostics, _upstreamTls);
        foreach (var vs in config.VirtualServices)
        {
            _virtualServices.TryAdd(new DelegateRef(vs.Meta.Namespace, vs.Meta.Name), vs);
        }
    }

    /// <summary>What a port serves, decided by its first server.</summary>
    private enum PortKind
    {
        Http,
        Tls,
        Tcp,
    }

    public (List<ListenerConfig> Listeners, List<ClusterConfig> Clusters) Compile()
    {
        var gateways = _config.Gateways.ToDictionary(static g => new GatewayRef(g.Meta.Namespace, g.Meta.Name));

        // Step 1
        _upstreamTls.LoadAll(_config.DestinationRules);
        var virtualServices = new List<CompiledVirtualService>();
        foreach (var vs in _config.VirtualServices.OrderBy(static v => v.Meta.SortKey, StringComparer.Ordinal))
        {
            if (vs.Gateways.Count == 0)
            {
                continue;
            }

            CheckGatewayRefs(vs, gateways);
            virtualServices.Add(new CompiledVirtualService(vs, CompileRoutes(vs), CompileL4Routes(vs, vs.Tls), CompileL4Routes(vs, vs.Tcp)));
        }

        // Step 2
        var ports = GroupServersByPort();

        // Steps 3 and 4
        var listeners = new List<ListenerConfig>();
        var usedClusters = new Dictionary<string, ClusterConfig>(StringComparer.Ordinal);
        foreach (var (port, group) in ports)
        {
            var listener = group.Kind switch
            {
                PortKind.Http => new ListenerConfig
                {
                    Name = ListenerName(_options.ListenAddress, port),
                    EndPoint = BindEndPoint(port),
                    Router = BuildRouter(port, group.Servers, virtualServices),
                },
                PortKind.Tcp => new ListenerConfig
                {
                    Name = ListenerName(_options.ListenAddress, port),
                    EndPoint = BindEndPoint(port),
                    TcpRouter = BuildTcpRouter(group.Servers[0].Gateway, group.Servers[0].Server, virtualServices),
                },
                _ => BuildTlsListener(port, group.Servers, virtualServices),
            };

            if (listener is null)
            {
                continue;
            }

            foreach (var cluster in ClustersOf(listener))
            {
                usedClusters.TryAdd(cluster.Name, cluster);
            }

            listeners.Add(listener);
        }

        return (listeners, [.. usedClusters.Values.OrderBy(static c => c.Name, StringComparer.Ordinal)]);
    }

    /// <summary>Istio's listener name: address and port joined by '_', e.g. <c>0.0.0.0_8080</c>.</summary>
    public static string ListenerName(IPAddress address, int port) =>
        string.Create(CultureInfo.InvariantCulture, $"{address}_{port}");

    private IPEndPoint BindEndPoint(int port) =>
        new(_options.ListenAddress, _options.PortOverrides is { } overrides && overrides.TryGetValue(port, out var overridden) ? overridden : port);

    private bool IsSelected(GatewayConfig gateway) =>
        _options.Labels is null || gateway.Selector is null || ClusterFactory.Includes(_options.Labels, gateway.Selector);

    private static PortKind? KindOf(ServerConfig server) =>
        server.Protocol == PortProtocols.Http ? PortKind.Http
        : PortProtocols.IsTls(server.Protocol) ? PortKind.Tls
        : PortProtocols.IsOpaqueTcp(server.Protocol) ? PortKind.Tcp
        : null;

    /// <summary>Step 2: the servers of every selected Gateway by port, in namespace/name then server order.</summary>
    private SortedDictionary<int, PortGroup> GroupServersByPort()
    {
        var ports = new SortedDictionary<int, PortGroup>();
        foreach (var gateway in _config.Gateways.OrderBy(static g => g.Meta.SortKey, StringComparer.Ordinal))
        {
            if (!IsSelected(gateway))
            {
                continue;
            }

            foreach (var server in gateway.Servers)
            {
                if (KindOf(server) is not { } kind)
                {
                    _diagnostics.Warning(gateway.Meta.Location, $"{server.Path}.port.protocol",
                        $"protocol {server.Protocol} is not supported yet; server on port {server.PortNumber} skipped");
                    continue;
                }

                if (!ports.TryGetValue(server.PortNumber, out var group))
                {
                    ports[server.PortNumber] = new PortGroup(kind, [(gateway, server)]);
                    continue;
                }

                var (firstGateway, firstServer) = group.Servers[0];
                var first = $"{firstGateway.Meta.Ref} {firstServer.Path}";
                if (group.Kind != kind)
                {
                    _diagnostics.Error(gateway.Meta.Location, $"{server.Path}.port",
                        $"port {server.PortNumber} is already served by the {firstServer.Protocol} server {first}; plaintext HTTP, TCP and TLS (HTTPS, TLS) servers cannot share a port");
                    continue;
                }

                if (kind == PortKind.Tcp)
                {
                    _diagnostics.Warning(gateway.Meta.Location, $"{server.Path}.port",
                        $"ignored: port {server.PortNumber} is already served by the {firstServer.Protocol} server {first}, and Istio keeps the first TCP server of a port");
                    continue;
                }

                if (kind == PortKind.Tls && DuplicateServerName(group, server) is { } duplicate)
                {
                    _diagnostics.Warning(gateway.Meta.Location, $"{server.Path}.hosts",
                        $"ignored: host \"{duplicate.Host}\" is already served on port {server.PortNumber} by {duplicate.Owner}, and Istio skips a TLS server that repeats a host");
                    continue;
                }

                group.Servers.Add((gateway, server));
            }
        }

        return ports;
    }

    private static (string Host, string Owner)? DuplicateServerName(PortGroup group, ServerConfig server)
    {
        foreach (var (gateway, other) in group.Servers)
        {
            foreach (var host in server.Hosts)
            {
                if (other.Hosts.Any(h => h.Host == host.Host))
                {
                    return (host.Host, $"{gateway.Meta.Ref} {other.Path}");
                }
            }
        }

        return null;
    }

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

    /// <summary>
    /// A VirtualService's http routes in order, delegates merged in, each with its destinations and mirrors resolved;
    /// a route whose destinations do not resolve is left out (with errors). Istio stops translating a
    /// VirtualService's routes after one that matches everything (BuildHTTPRoutesForVirtualService).
    /// </summary>
    private List<CompiledHttpRoute> CompileRoutes(VirtualServiceConfig vs)
    {
        var routes = new List<CompiledHttpRoute>();
        var catchAllSeen = false;
        foreach (var (owner, route) in ExpandDelegates(vs))
        {
            if (catchAllSeen)
            {
                _diagnostics.Warning(owner.Location, route.Path, owner == vs.Meta
                    ? "unreachable: an earlier route matches every request"
                    : $"unreachable from {vs.Meta.Ref}: an earlier route matches every request");
                continue;
            }

            if (CompileRoute(owner, route) is not { } compiled)
            {
                continue;
            }

            routes.Add(compiled);
            catchAllSeen = route.MatchesEverything;
        }

        return routes;
    }

    /// <summary>
    /// The routes of <paramref name="root"/> with each <c>delegate</c> route replaced by the delegate VirtualService's
    /// routes merged with it (Istio mergeVirtualServices and MergeHTTPRoutes), each with the VirtualService it belongs
    /// to. A delegate that is missing, has hosts, or is not exported to the root's namespace skips the route with a
    /// warning, as istiod does; so does a delegate route whose match conflicts with the root's.
    /// </summary>
    private IEnumerable<(IstioObjectMeta Owner, HttpRouteConfig Route)> ExpandDelegates(VirtualServiceConfig root)
    {
        foreach (var route in root.Http)
        {
            if (route.Delegate is not { } reference)
            {
                yield return (root.Meta, route);
                continue;
            }

            var at = root.Meta.Location;
            var path = route.Path + ".delegate";
            if (!_virtualServices.TryGetValue(reference, out var target))
            {
                _diagnostics.Warning(at, path, $"VirtualService {reference} is not defined; the route is skipped");
                continue;
            }

            if (!target.IsDelegate)
            {
                _diagnostics.Warning(at, path, $"VirtualService {reference} has hosts, so it is not a delegate; the route is skipped");
                continue;
            }

            if (!target.IsExportedTo(root.Meta.Namespace))
            {
                _diagnostics.Warning(at, path, $"VirtualService {reference} is not exported to namespace {root.Meta.Namespace}; the route is skipped");
                continue;
            }

            foreach (var leaf in target.Http)
            {
                if (leaf.Delegate is not null)
                {
                    continue;
                }

                if (DelegateMerge.Merge(route, leaf) is { } merged)
                {
                    yield return (target.Meta, merged);
                }
                else
                {
                    _diagnostics.Warning(at, path,
                        $"the match of {target.Meta.Ref} {leaf.Path} is not within this route's match, so that route is skipped (Istio: a delegate's match must be a subset of the root's)");
                }
            }
        }
    }

    /// <summary>
    /// Istio TranslateRoute's parts that need the registry: destinations (with their header edits and authority), and
    /// mirrors. The route's name defaults to <c>namespace/name.http[i]</c> of the VirtualService that declared it.
    /// </summary>
    private CompiledHttpRoute? CompileRoute(IstioObjectMeta owner, HttpRouteConfig route)
    {
        var name = route.Name ?? $"{owner.Namespace}/{owner.Name}.http[{route.Index}]";
        var authority = route.Rewrite?.Authority ?? route.Headers?.Authority;
        var requestHeaders = route.Headers?.Request;
        var responseHeaders = route.Headers?.Response;
        if (route.Redirect is not null || route.DirectResponse is not null)
        {
            return new CompiledHttpRoute(route, name, [], [], authority, requestHeaders, responseHeaders);
        }

        if (ResolveDestinations(owner, route.Path, route.Destinations) is not { } resolved)
        {
            return null;
        }

        var destinations = new List<WeightedCluster>(resolved.Count);
        for (var i = 0; i < resolved.Count; i++)
        {
            var headers = route.Destinations[i].Headers;
            if (resolved.Count == 1)
            {
                // processDestination: a single destination's edits join the route's, and its authority applies only
                // when the route sets none.
                requestHeaders = RouteActionCompiler.Combine(requestHeaders, headers?.Request);
                responseHeaders = RouteActionCompiler.Combine(responseHeaders, headers?.Response);
                authority ??= headers?.Authority;
                destinations.Add(resolved[i]);
                continue;
            }

            // processWeightedDestination: edits on the weighted cluster, run before the route's.
            destinations.Add(resolved[i] with
            {
                RequestHeaders = headers?.Request,
                ResponseHeaders = headers?.Response,
                AuthorityRewrite = authority is null ? headers?.Authority : null,
            });
        }

        // applyHTTPRouteDestination: only a route with one destination looks up a consistent hash, which drops the
        // default previous-hosts retry predicate.
        var consistentHash = destinations.Count == 1 && destinations[0].Cluster.LoadBalancing is LoadBalancingPolicy.RingHash or LoadBalancingPolicy.Maglev;
        return new CompiledHttpRoute(route, name, destinations, ResolveMirrors(route), authority, requestHeaders, responseHeaders,
            RetryPolicyCompiler.Compile(route.Retries, consistentHash));
    }

    /// <summary>Istio applyHTTPRouteDestination: <c>mirror</c> with the route's percentage, then each of <c>mirrors</c>;
    /// a percentage of 0 mirrors nothing.</summary>
    private List<MirrorPolicy> ResolveMirrors(HttpRouteConfig route)
    {
        var mirrors = new List<MirrorPolicy>();
        if (route.Mirror is { } mirror && ResolveMirror(mirror) is { } cluster && RouteActionCompiler.MirrorPercentage(route) is { } percentage)
        {
            mirrors.Add(new MirrorPolicy(cluster, percentage));
        }

        foreach (var item in route.Mirrors ?? [])
        {
            if (ResolveMirror(item) is { } itemCluster && (item.Percentage ?? 100) > 0)
            {
                mirrors.Add(new MirrorPolicy(itemCluster, item.Percentage ?? 100));
            }
        }

        return mirrors;
    }

    /// <summary>A mirror's cluster, resolved once in the namespace of the VirtualService that declared it (a root's
    /// mirror inherited by several delegate routes reports a problem once).</summary>
    private ClusterConfig? ResolveMirror(MirrorConfig mirror)
    {
        if (!_mirrorClusters.TryGetValue(mirror, out var cluster))
        {
            _mirrorClusters[mirror] = cluster = ResolveCluster(mirror.Owner, mirror.Path, mirror.Destination);
        }

        return cluster;
    }

    /// <summary>A route's destinations as weighted clusters; null, with errors recorded, when any does not resolve.</summary>
    private List<WeightedCluster>? ResolveDestinations(VirtualServiceConfig vs, string routePath, IReadOnlyList<RouteDestinationConfig> configured) =>
        ResolveDestinations(vs.Meta, routePath, configured);

    /// <summary>As above for the VirtualService <paramref name="owner"/>; resolved once per destination list, so a
    /// delegate's routes merged into several roots report a problem once.</summary>
    private List<WeightedCluster>? ResolveDestinations(IstioObjectMeta owner, string routePath, IReadOnlyList<RouteDestinationConfig> configured)
    {
        if (_resolvedDestinations.TryGetValue(configured, out var cached))
        {
            return cached;
        }

        var destinations = new List<WeightedCluster>();
        var ok = true;
        foreach (var destination in configured)
        {
            var cluster = ResolveCluster(owner, $"{routePath}.route[{destination.Index}].destination", destination);
            if (cluster is null)
            {
                ok = false;
                continue;
            }

            // "If there is only one destination in a rule, it will receive all traffic", whatever its weight.
            var weight = configured.Count == 1 ? 100 : destination.Weight ?? 0;
            destinations.Add(new WeightedCluster(cluster, weight));
        }

        if (ok && configured.Count > 1 && destinations.All(static d => d.Weight == 0))
        {
            _diagnostics.Error(owner.Location, routePath + ".route", "the weights of all destinations are 0; at least one must be positive");
            ok = false;
        }

        var result = ok ? destinations : null;
        _resolvedDestinations[configured] = result;
        return result;
    }

    /// <summary>The cluster of a Destination (<paramref name="path"/> names it in errors), resolved in the namespace of
    /// the VirtualService <paramref name="owner"/>.</summary>
    private ClusterConfig? ResolveCluster(IstioObjectMeta owner, string path, RouteDestinationConfig destination)
    {
        var at = owner.Location;
        var service = _registry.Resolve(destination.Host, owner.Namespace);
        if (service is null)
        {
            var qualified = HostName.Qualify(destination.Host, owner.Namespace);
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

    private static bool IsBound(VirtualServiceConfig vs, GatewayConfig gateway) =>
        vs.Gateways.Contains(new GatewayRef(gateway.Meta.Namespace, gateway.Meta.Name));

    /// <summary>Every cluster a listener's routes send to: destinations, and mirrors of HTTP routes.</summary>
    private static IEnumerable<ClusterConfig> ClustersOf(ListenerConfig listener)
    {
        var httpRouters = new List<IHttpRouter?> { listener.Router };
        var tcpRouters = new List<ITcpRouter?> { listener.TcpRouter };
        foreach (var chain in listener.TlsFilterChains ?? [])
        {
            httpRouters.Add(chain.Router);
            tcpRouters.Add(chain.TcpRouter);
        }

        var httpRoutes = httpRouters.OfType<IstioHttpRouter>()
            .SelectMany(static r => r.VirtualHosts).SelectMany(static h => h.Routes).Select(static e => e.Route);
        var httpClusters = httpRoutes.SelectMany(static r => r.Destinations.Select(static d => d.Cluster).Concat(r.Mirrors.Select(static m => m.Cluster)));
        var tcpClusters = tcpRouters.SelectMany(static r => r switch
        {
            StaticTcpRouter { Only: { } only } => [only],
            SniTcpRouter sni => sni.Routes,
            _ => [],
        }).SelectMany(static r => r.Destinations).Select(static d => d.Cluster);
        return httpClusters.Concat(tcpClusters);
    }

    private sealed record PortGroup(PortKind Kind, List<(GatewayConfig Gateway, ServerConfig Server)> Servers);

    private sealed record CompiledVirtualService(
        VirtualServiceConfig Config,
        List<CompiledHttpRoute> Routes,
        List<(L4RouteConfig Config, TcpRoute Route)> TlsRoutes,
        List<(L4RouteConfig Config, TcpRoute Route)> TcpRoutes);
}
