using Proxy.Engine.Routing;
using Proxy.Istio.Hosts;
using Proxy.Istio.Model;
using Proxy.Istio.Routing;

namespace Proxy.Istio.Compilation;

internal sealed partial class IstioCompiler
{
    private List<(L4RouteConfig Config, TcpRoute Route)> CompileL4Routes(VirtualServiceConfig vs, IReadOnlyList<L4RouteConfig> configured)
    {
        var routes = new List<(L4RouteConfig, TcpRoute)>();
        var catchAllSeen = false;
        foreach (var route in configured)
        {
            if (catchAllSeen)
            {
                _diagnostics.Warning(vs.Meta.Location, route.Path, "unreachable: an earlier tcp route matches every connection");
                continue;
            }

            if (ResolveDestinations(vs, route.Path, route.Destinations) is not { } destinations)
            {
                continue;
            }

            var section = route.Kind == L4RouteKind.Tls ? "tls" : "tcp";
            routes.Add((route, new TcpRoute($"{vs.Meta.Namespace}/{vs.Meta.Name}.{section}[{route.Index}]", destinations)));
            catchAllSeen = route.Kind == L4RouteKind.Tcp && route.Matches.Count == 0 && !route.HasInvalidMatch;
        }

        return routes;
    }

    /// <summary>
    /// The route of a TCP server, or of a TLS server that terminates and forwards TCP (Istio
    /// buildGatewayNetworkFiltersFromTCPRoutes): the first tcp route, VirtualServices in order, whose match holds for
    /// the server; a route without match holds everywhere. Only port and gateways are conditions at a gateway.
    /// </summary>
    private StaticTcpRouter BuildTcpRouter(GatewayConfig gateway, ServerConfig server, List<CompiledVirtualService> virtualServices)
    {
        (TcpRoute Route, VirtualServiceConfig From, L4RouteConfig Config)? chosen = null;
        foreach (var compiled in virtualServices)
        {
            var vs = compiled.Config;
            if (!IsBound(vs, gateway) || PickMatchingHosts(server, vs).Count == 0)
            {
                continue;
            }

            foreach (var (config, route) in compiled.TcpRoutes)
            {
                if (config.HasInvalidMatch || !(config.Matches.Count == 0 || config.Matches.Any(m => L4Applies(m, gateway, server))))
                {
                    continue;
                }

                if (chosen is { } first)
                {
                    _diagnostics.Warning(vs.Meta.Location, config.Path,
                        $"unreachable on port {server.PortNumber} of {gateway.Meta.Ref}: {first.From.Meta.Ref} {first.Config.Path} already routes it, and a gateway uses the first matching tcp route");
                }
                else
                {
                    chosen = (route, vs, config);
                }

                break;
            }
        }

        if (chosen is null)
        {
            _diagnostics.Warning(gateway.Meta.Location, server.Path,
                $"no VirtualService tcp route applies to this {server.Protocol} server on port {server.PortNumber}; its connections are closed");
        }

        return new StaticTcpRouter(chosen?.Route);
    }

    /// <summary>
    /// The SNI table of a TLS passthrough server (Istio buildGatewayNetworkFiltersFromTLSRoutes): every tls route
    /// match that holds for the server contributes its SNI hosts, VirtualServices in order; SNI hosts outside the
    /// server's hosts never reach this chain and are left out; a repeated host keeps its first route.
    /// </summary>
    private SniTcpRouter BuildSniRouter(GatewayConfig gateway, ServerConfig server, List<CompiledVirtualService> virtualServices)
    {
        var entries = new List<(string, TcpRoute)>();
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var compiled in virtualServices)
        {
            var vs = compiled.Config;
            if (!IsBound(vs, gateway) || PickMatchingHosts(server, vs).Count == 0)
            {
                continue;
            }

            foreach (var (config, route) in compiled.TlsRoutes)
            {
                if (config.HasInvalidMatch)
                {
                    continue;
                }

                foreach (var match in config.Matches.Where(m => L4Applies(m, gateway, server)))
                {
                    foreach (var sni in match.SniHosts)
                    {
                        if (!server.Hosts.Any(h => AdmitsNamespace(h, vs.Meta.Namespace) && HostName.Matches(h.Host, sni)))
                        {
                            continue;
                        }

                        var at = $"{config.Path}.match[{match.Index}].sniHosts";
                        if (owners.TryGetValue(sni, out var owner))
                        {
                            if (owner != $"{vs.Meta.Ref} {at}")
                            {
                                _diagnostics.Warning(vs.Meta.Location, at,
                                    $"SNI host \"{sni}\" on port {server.PortNumber} of {gateway.Meta.Ref} is already routed by {owner}, which wins");
                            }

                            continue;
                        }

                        owners[sni] = $"{vs.Meta.Ref} {at}";
                        entries.Add((sni, route));
                    }
                }
            }
        }

        if (entries.Count == 0)
        {
            _diagnostics.Warning(gateway.Meta.Location, server.Path,
                $"no VirtualService tls route applies to this PASSTHROUGH server on port {server.PortNumber}; its connections are closed");
        }

        return new SniTcpRouter(entries);
    }

    /// <summary>Istio l4SingleMatch: the match's port, if any, is the server's, and its gateways, if any, name this one.</summary>
    private static bool L4Applies(L4MatchConfig match, GatewayConfig gateway, ServerConfig server) =>
        (match.Port is not { } port || port == server.PortNumber) &&
        (match.Gateways is not { } names || names.Contains(new GatewayRef(gateway.Meta.Namespace, gateway.Meta.Name)));
}
