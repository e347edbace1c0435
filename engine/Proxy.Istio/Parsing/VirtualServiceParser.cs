using Proxy.Engine.Routing;
using Proxy.Istio.Hosts;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>
/// VirtualService (istio/api networking/v1alpha3/virtual_service.proto): http, tls and tcp routes, validated as
/// Istio's validation webhook does (pkg/config/validation/virtualservice.go). Route actions are in
/// VirtualServiceParser.Actions.cs, fault injection in .Fault.cs, retries in .Retries.cs, header edits in .Headers.cs, CORS in .Cors.cs.
/// </summary>
internal static partial class VirtualServiceParser
{
    public const string Mesh = "mesh";

    private static readonly string[] RouteActions = ["route", "redirect", "directResponse", "delegate"];

    public static VirtualServiceConfig? Parse(IstioObjectMeta meta, YamlNode? specNode, NodeReader reader)
    {
        var spec = reader.Mapping(specNode, "spec", ["hosts", "gateways", "http", "tls", "tcp", "exportTo"])
            ?? new Fields("spec");

        // "hosts: The destination hosts to which traffic is being sent ... short names ... interpreted relative to the
        // namespace of the rule"; "Must be empty for a delegate VirtualService."
        var delegateVs = spec["hosts"] is null or YamlSequenceNode { Children.Count: 0 };
        var hosts = delegateVs
            ? []
            : HostsValidation.ReadHosts(reader, spec).Select(h => HostName.Qualify(h.Host, meta.Namespace)).ToList();

        var gateways = ReadGatewayRefs(meta, spec["gateways"], spec.PathOf("gateways"), reader, out var mesh) ?? [];
        if (delegateVs)
        {
            CheckDelegate(spec, reader, namesGateways: gateways.Count > 0 || mesh);
        }
        else if (!spec.Has("gateways"))
        {
            // "If omitted, the default gateway (mesh) will be used": a gateway never serves it.
            reader.Warning(spec.PathOf("gateways"), "omitted, so the VirtualService applies to the mesh only and no gateway serves it");
        }
        else if (gateways.Count == 0 && mesh)
        {
            reader.Warning(spec.PathOf("gateways"), "names only mesh, so no gateway serves it");
        }

        var routes = new List<HttpRouteConfig>();
        var items = reader.Sequence(spec["http"], spec.PathOf("http"));
        if (items is not null)
        {
            for (var i = 0; i < items.Count; i++)
            {
                if (ParseRoute(meta, i, items[i].Node, items[i].Path, reader, delegateVs) is { } route)
                {
                    routes.Add(route);
                }
            }
        }

        var tls = ParseL4Routes(meta, L4RouteKind.Tls, spec, hosts, reader);
        var tcp = ParseL4Routes(meta, L4RouteKind.Tcp, spec, hosts, reader);
        return new VirtualServiceConfig(meta, hosts, gateways, routes, tls, tcp) { ExportTo = ReadExportTo(meta, spec, reader) };
    }

    /// <summary>Istio ValidateVirtualService for a VirtualService without hosts: a delegate has no gateways, tls or tcp.</summary>
    private static void CheckDelegate(Fields spec, NodeReader reader, bool namesGateways)
    {
        if (namesGateways)
        {
            reader.Error(spec.PathOf("gateways"), "a VirtualService without hosts is a delegate, which must not name gateways; add hosts or remove gateways");
        }

        foreach (var key in (ReadOnlySpan<string>)["tls", "tcp"])
        {
            if (spec.Has(key))
            {
                reader.Error(spec.PathOf(key), "a VirtualService without hosts is a delegate, which has http routes only");
            }
        }
    }

    /// <summary><c>exportTo</c>: <c>.</c> is the object's own namespace, <c>*</c> every namespace; empty means every namespace.</summary>
    private static List<string>? ReadExportTo(IstioObjectMeta meta, Fields spec, NodeReader reader)
    {
        var values = reader.StringList(spec["exportTo"], spec.PathOf("exportTo"));
        if (values is null || values.Count == 0)
        {
            return null;
        }

        var result = new List<string>(values.Count);
        foreach (var (value, path) in values)
        {
            if (value != "*" && value != "." && !HostsValidation.IsDns1123Label(value))
            {
                reader.Error(path, $"\"{value}\" is not a namespace, \".\" or \"*\"");
                continue;
            }

            result.Add(value == "." ? meta.Namespace : value);
        }

        return result;
    }

    /// <summary><c>name</c> (the VirtualService's namespace), <c>namespace/name</c>, or the reserved <c>mesh</c>.</summary>
    private static List<GatewayRef>? ReadGatewayRefs(IstioObjectMeta meta, YamlNode? node, string path, NodeReader reader, out bool mesh)
    {
        mesh = false;
        var values = reader.StringList(node, path);
        if (values is null)
        {
            return null;
        }

        var result = new List<GatewayRef>(values.Count);
        foreach (var (value, itemPath) in values)
        {
            if (value == Mesh)
            {
                mesh = true;
                continue;
            }

            var slash = value.IndexOf('/', StringComparison.Ordinal);
            var ns = slash >= 0 ? value[..slash] : meta.Namespace;
            var name = slash >= 0 ? value[(slash + 1)..] : value;
            if (ns.Length == 0 || name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || !HostsValidation.IsDns1123Label(ns))
            {
                reader.Error(itemPath, $"invalid gateway reference \"{value}\"; expected name, namespace/name or mesh");
                continue;
            }

            result.Add(new GatewayRef(ns, name));
        }

        return result;
    }

    private static HttpRouteConfig? ParseRoute(IstioObjectMeta meta, int index, YamlNode node, string path, NodeReader reader, bool inDelegate)
    {
        var route = reader.Mapping(node, path,
            ["name", "match", "route", "redirect", "directResponse", "delegate", "rewrite", "headers", "fault", "mirror", "mirrors", "mirrorPercentage", "mirrorPercent", "mirror_percent", "corsPolicy", "timeout", "retries"]);
        if (route is null)
        {
            reader.Error(path, "must not be null");
            return null;
        }

        var name = reader.String(route["name"], route.PathOf("name"));
        var matches = new List<HttpMatchConfig>();
        var matchItems = reader.Sequence(route["match"], route.PathOf("match"));
        if (matchItems is not null)
        {
            for (var i = 0; i < matchItems.Count; i++)
            {
                if (ParseMatch(meta, i, matchItems[i].Node, matchItems[i].Path, reader) is { } match)
                {
                    matches.Add(match);
                }
            }
        }

        var destinations = new List<RouteDestinationConfig>();
        var destinationItems = reader.Sequence(route["route"], route.PathOf("route"));
        if (destinationItems is not null)
        {
            for (var i = 0; i < destinationItems.Count; i++)
            {
                if (ParseDestination(i, destinationItems[i].Node, destinationItems[i].Path, reader, http: true) is { } destination)
                {
                    destinations.Add(destination);
                }
            }
        }

        // Istio validateHTTPRoute: exactly one of route, redirect, directResponse or delegate.
        var kinds = RouteActions.Where(route.Has).ToList();
        if (kinds.Count == 0)
        {
            reader.Error(path, "one of route, redirect, directResponse or delegate is required");
        }
        else if (kinds.Count > 1)
        {
            reader.Error(path, $"only one of route, redirect, directResponse or delegate may be set (found {string.Join(", ", kinds)})");
        }
        else if (kinds[0] == "route" && destinationItems is { Count: 0 })
        {
            reader.Error(route.PathOf("route"), "at least one destination is required");
        }

        CheckActionConflicts(route, reader, inDelegate);
        var config = new HttpRouteConfig(index, name, matches, destinations, HasInvalidMatch: matches.Count < (matchItems?.Count ?? 0))
        {
            Redirect = route.Has("redirect") ? ParseRedirect(route["redirect"], route.PathOf("redirect"), matches, reader) : null,
            DirectResponse = route.Has("directResponse") ? ParseDirectResponse(route["directResponse"], route.PathOf("directResponse"), reader) : null,
            Delegate = route.Has("delegate") ? ParseDelegate(meta, route["delegate"], route.PathOf("delegate"), reader) : null,
            Rewrite = route.Has("rewrite") ? ParseRewrite(route["rewrite"], route.PathOf("rewrite"), reader) : null,
            Headers = route.Has("headers") ? ParseHeaders(route["headers"], route.PathOf("headers"), reader) : null,
            Fault = route.Has("fault") ? ParseFault(route["fault"], route.PathOf("fault"), reader) : null,
            Mirror = route.Has("mirror") ? ParseMirror(meta, route, reader) : null,
            Mirrors = route.Has("mirrors") ? ParseMirrors(meta, route["mirrors"], route.PathOf("mirrors"), reader) : null,
            MirrorPercentage = route.Has("mirrorPercentage") ? ParseMirrorPercentage(route["mirrorPercentage"], route.PathOf("mirrorPercentage"), reader) : null,
            MirrorPercent = ParseMirrorPercent(route, reader),
            Cors = route.Has("corsPolicy") ? ParseCorsPolicy(route["corsPolicy"], route.PathOf("corsPolicy"), reader) : null,
            Timeout = route.Has("timeout") ? ParseRouteTimeout(route["timeout"], route.PathOf("timeout"), reader) : null,
            Retries = route.Has("retries") ? ParseRetries(route["retries"], route.PathOf("retries"), reader) : null,
        };

        // validateAuthorityRewrite: rewrite.authority and a request host header cannot both set the authority.
        if (config.Rewrite?.Authority is { } rewritten && config.Headers?.Authority is { } header)
        {
            reader.Error(route.PathOf("headers") + ".request", $"authority header cannot be set multiple times: have \"{rewritten}\", attempting to set \"{header}\"");
        }

        return config;
    }

    /// <summary>
    /// Istio validateHTTPRouteConflict: a redirect or direct response answers at the gateway, so a fault or a rewrite
    /// with it is an error; <c>mirror</c> and <c>mirrors</c> exclude each other; a delegate's routes cannot delegate
    /// further ("Only one level delegation is supported").
    /// </summary>
    private static void CheckActionConflicts(Fields route, NodeReader reader, bool inDelegate)
    {
        foreach (var answer in (ReadOnlySpan<string>)["redirect", "directResponse"])
        {
            if (!route.Has(answer))
            {
                continue;
            }

            foreach (var other in (ReadOnlySpan<string>)["fault", "rewrite"])
            {
                if (route.Has(other))
                {
                    reader.Error(route.PathOf(other), $"cannot be combined with {answer}, which answers without forwarding");
                }
            }
        }

        if (route.Has("mirror") && route.Has("mirrors"))
        {
            reader.Error(route.PathOf("mirrors"), "only one of mirror and mirrors may be set");
        }

        if (inDelegate && route.Has("delegate"))
        {
            reader.Error(route.PathOf("delegate"), "a delegate VirtualService's routes cannot delegate again: Istio supports one level of delegation");
        }
    }

    private static HttpMatchConfig? ParseMatch(IstioObjectMeta meta, int index, YamlNode node, string path, NodeReader reader)
    {
        var match = reader.Mapping(node, path,
            ["name", "uri", "scheme", "method", "authority", "headers", "withoutHeaders", "queryParams", "ignoreUriCase", "port", "gateways", "sourceLabels", "sourceNamespace"],
            ignored: ["statPrefix"]);
        if (match is null)
        {
            // "- {}" or "- null" in a match list matches everything, as an empty HTTPMatchRequest does in Istio.
            return new HttpMatchConfig(index, null, false, null, null, null, [], [], [], null, null, null, null);
        }

        var ok = true;
        var ignoreUriCase = reader.Bool(match["ignoreUriCase"], match.PathOf("ignoreUriCase")) ?? false;
        var uri = StringMatchParser.Parse(match["uri"], match.PathOf("uri"), reader, StringMatchSite.Uri, out var v1);
        if (uri is { Kind: StringMatchKind.Regex } && ignoreUriCase)
        {
            // "The case will be ignored only in the case of exact and prefix URI matches."
            reader.Warning(match.PathOf("ignoreUriCase"), "applies to exact and prefix uri matches only; the regex stays case-sensitive");
        }

        var scheme = StringMatchParser.Parse(match["scheme"], match.PathOf("scheme"), reader, StringMatchSite.Attribute, out var v2);
        var method = StringMatchParser.Parse(match["method"], match.PathOf("method"), reader, StringMatchSite.Attribute, out var v3);
        var authority = StringMatchParser.Parse(match["authority"], match.PathOf("authority"), reader, StringMatchSite.Attribute, out var v4);
        ok &= v1 && v2 && v3 && v4;
        var headers = ParseKeyValueMatches(match["headers"], match.PathOf("headers"), reader, KeyValueKind.Header, ref ok);
        var withoutHeaders = ParseKeyValueMatches(match["withoutHeaders"], match.PathOf("withoutHeaders"), reader, KeyValueKind.WithoutHeader, ref ok);

        // queryParams: translateQueryParamMatch makes {} presence and anything else an Envoy StringMatcher, so
        // exact "" matches the empty value only; prefix is supported since istio/api#2712.
        var queryParams = ParseKeyValueMatches(match["queryParams"], match.PathOf("queryParams"), reader, KeyValueKind.QueryParam, ref ok);
        var port = reader.Int(match["port"], match.PathOf("port"), 1, 65535);
        var includesMesh = false;
        var gateways = match.Has("gateways") ? ReadMatchGateways(meta, match, reader, out includesMesh) : null;
        var sourceLabels = reader.StringMap(match["sourceLabels"], match.PathOf("sourceLabels"));
        var sourceNamespace = reader.String(match["sourceNamespace"], match.PathOf("sourceNamespace"));
        var name = reader.String(match["name"], match.PathOf("name"));
        return ok
            ? new HttpMatchConfig(index, uri, ignoreUriCase, scheme, method, authority, headers, withoutHeaders, queryParams, port, gateways, sourceLabels, sourceNamespace)
            {
                Name = string.IsNullOrEmpty(name) ? null : name,
                GatewaysIncludeMesh = includesMesh,
            }
            : null;
    }

    private static List<GatewayRef> ReadMatchGateways(IstioObjectMeta meta, Fields match, NodeReader reader, out bool includesMesh)
    {
        // A match naming only "mesh" never applies at a gateway: keep an empty list, which matches no gateway.
        return ReadGatewayRefs(meta, match["gateways"], match.PathOf("gateways"), reader, out includesMesh) ?? [];
    }

    /// <summary>Which map of an HTTPMatchRequest <see cref="ParseKeyValueMatches"/> reads.</summary>
    private enum KeyValueKind
    {
        Header,
        WithoutHeader,
        QueryParam,
    }

    /// <summary>
    /// <c>headers</c>, <c>withoutHeaders</c> or <c>queryParams</c>: names to StringMatches, as Istio's
    /// validateHTTPRouteMatchRequest checks them. Header names are lower-cased (HTTP field names are
    /// case-insensitive); query parameter names are matched as written.
    /// </summary>
    private static List<KeyValueMatchConfig> ParseKeyValueMatches(YamlNode? node, string path, NodeReader reader, KeyValueKind kind, ref bool ok)
    {
        var result = new List<KeyValueMatchConfig>();
        if (NodeReader.IsNull(node))
        {
            return result;
        }

        if (node is not YamlMappingNode mapping)
        {
            reader.Error(path, "expected a mapping of names to string matches");
            ok = false;
            return result;
        }

        var isHeader = kind != KeyValueKind.QueryParam;
        foreach (var (keyNode, value) in mapping.Children)
        {
            var name = (keyNode as YamlScalarNode)?.Value;
            if (string.IsNullOrEmpty(name))
            {
                reader.Error(path, "names must be non-empty strings");
                ok = false;
                continue;
            }

            var itemPath = NodeReader.Join(path, name);
            if (isHeader && MatchHeaderNameProblem(name) is { } problem)
            {
                reader.Error(itemPath, problem);
                ok = false;
                continue;
            }

            if (isHeader && IsJwtClaimName(name))
            {
                reader.Warning(itemPath, "JWT claim routing needs RequestAuthentication, which this proxy does not implement; no request carries the claim");
            }

            if (kind == KeyValueKind.Header && NodeReader.IsNull(value))
            {
                // validateHTTPRouteMatchRequest: "header match %v cannot be null" (withoutHeaders and queryParams
                // read a null match as presence: canBeConvertedToPresentMatch).
                reader.Error(itemPath, $"header match {name} cannot be null; use {{}} to match presence");
                ok = false;
                continue;
            }

            var site = kind == KeyValueKind.WithoutHeader ? StringMatchSite.WithoutHeader : StringMatchSite.KeyValue;
            var match = StringMatchParser.Parse(value, itemPath, reader, site, out var valid);
            if (!valid)
            {
                ok = false;
                continue;
            }

            result.Add(new KeyValueMatchConfig(isHeader ? name.ToLowerInvariant() : name, match));
        }

        return result;
    }

    /// <summary>
    /// Istio ValidateHTTPHeaderNameOrJwtClaimRoute: an HTTP token, one of the pseudo-headers, or a JWT claim
    /// (<see cref="IsJwtClaimName"/>).
    /// </summary>
    private static string? MatchHeaderNameProblem(string name) =>
        name is ":method" or ":scheme" or ":authority" or ":path" or ":status" || IsJwtClaimName(name) ||
        HeaderOperations.Problem(name, string.Empty) is null
            ? null
            : $"header name {name} is not a valid header name";

    /// <summary>
    /// Istio jwt.ToRoutingClaim: <c>@request.auth.claims</c> (any case) then <c>.a.b</c> or <c>[a][b]</c>. Istio
    /// matches these against RequestAuthentication's claims metadata, which this proxy has not got, so no request
    /// carries such a "header".
    /// </summary>
    private static bool IsJwtClaimName(string name)
    {
        const string Prefix = "@request.auth.claims";
        if (!name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var rest = name.AsSpan(Prefix.Length);
        return (rest.Length > 1 && rest[0] == '.') || (rest.Length > 2 && rest[0] == '[' && rest[^1] == ']');
    }

    /// <summary>HTTPRouteDestination (<paramref name="http"/>) or the L4 RouteDestination, which has no headers.</summary>
    private static RouteDestinationConfig? ParseDestination(int index, YamlNode node, string path, NodeReader reader, bool http)
    {
        var item = reader.Mapping(node, path, http ? ["destination", "weight", "headers"] : ["destination", "weight"]);
        if (item is null)
        {
            reader.Error(path, "must not be null");
            return null;
        }

        var weightPath = item.PathOf("weight");
        int? weight = null;
        if (item.Has("weight"))
        {
            weight = reader.Int(item["weight"], weightPath, int.MinValue, int.MaxValue);
            if (weight < 0)
            {
                reader.Error(weightPath, $"weight {weight} must not be negative");
                weight = null;
            }
        }

        var destination = ParseDestinationFields(index, item["destination"], item.PathOf("destination"), reader);
        return destination is null
            ? null
            : destination with
            {
                Weight = weight,
                Headers = item.Has("headers") ? ParseHeaders(item["headers"], item.PathOf("headers"), reader) : null,
            };
    }

    /// <summary>A Destination (<c>host</c>, <c>subset</c>, <c>port.number</c>), of a route or a mirror.</summary>
    private static RouteDestinationConfig? ParseDestinationFields(int index, YamlNode? node, string path, NodeReader reader)
    {
        var destination = reader.Mapping(node, path, ["host", "subset", "port"]);
        if (destination is null)
        {
            reader.Error(path, "is required");
            return null;
        }

        var host = reader.String(destination["host"], destination.PathOf("host"));
        if (string.IsNullOrEmpty(host))
        {
            reader.Error(destination.PathOf("host"), "is required");
            return null;
        }

        if (HostName.Validate(host) is { } problem)
        {
            reader.Error(destination.PathOf("host"), problem);
            return null;
        }

        if (HostName.IsWildcard(host))
        {
            reader.Error(destination.PathOf("host"), $"destination host \"{host}\" must not be a wildcard");
            return null;
        }

        var subset = reader.String(destination["subset"], destination.PathOf("subset"));
        int? port = null;
        if (destination.Has("port"))
        {
            var portFields = reader.Mapping(destination["port"], destination.PathOf("port"), ["number"]);
            var numberPath = NodeReader.Join(destination.PathOf("port"), "number");
            port = reader.Int(portFields?["number"], numberPath, 1, 65535);
            if (portFields is not null && !portFields.Has("number"))
            {
                reader.Error(numberPath, "is required");
            }
        }

        return new RouteDestinationConfig(index, host.ToLowerInvariant(), string.IsNullOrEmpty(subset) ? null : subset, port, null);
    }

    /// <summary>
    /// <c>spec.tls</c> (TLSRoute) or <c>spec.tcp</c> (TCPRoute), as Istio's validateTLSRoute/validateTCPRoute check
    /// them: a tls route needs a match with SNI hosts, each within the VirtualService's hosts; both need a destination.
    /// </summary>
    private static List<L4RouteConfig> ParseL4Routes(IstioObjectMeta meta, L4RouteKind kind, Fields spec, List<string> hosts, NodeReader reader)
    {
        var key = kind == L4RouteKind.Tls ? "tls" : "tcp";
        var routes = new List<L4RouteConfig>();
        var items = reader.Sequence(spec[key], spec.PathOf(key));
        if (items is null)
        {
            return routes;
        }

        for (var i = 0; i < items.Count; i++)
        {
            var (node, path) = items[i];
            var route = reader.Mapping(node, path, ["match", "route"]);
            if (route is null)
            {
                reader.Error(path, "must not be null");
                continue;
            }

            var matches = new List<L4MatchConfig>();
            var matchItems = reader.Sequence(route["match"], route.PathOf("match"));
            if (kind == L4RouteKind.Tls && (matchItems is null || matchItems.Count == 0))
            {
                reader.Error(route.PathOf("match"), "at least one match is required: a TLS route matches on sniHosts");
            }

            for (var j = 0; j < (matchItems?.Count ?? 0); j++)
            {
                if (ParseL4Match(meta, kind, j, matchItems![j].Node, matchItems[j].Path, hosts, reader) is { } match)
                {
                    matches.Add(match);
                }
            }

            var destinations = new List<RouteDestinationConfig>();
            var destinationItems = reader.Sequence(route["route"], route.PathOf("route"));
            if (destinationItems is null || destinationItems.Count == 0)
            {
                reader.Error(route.PathOf("route"), "at least one destination is required");
            }

            for (var j = 0; j < (destinationItems?.Count ?? 0); j++)
            {
                if (ParseDestination(j, destinationItems![j].Node, destinationItems[j].Path, reader, http: false) is { } destination)
                {
                    destinations.Add(destination);
                }
            }

            routes.Add(new L4RouteConfig(kind, i, matches, destinations, HasInvalidMatch: matches.Count < (matchItems?.Count ?? 0)));
        }

        return routes;
    }

    private static L4MatchConfig? ParseL4Match(IstioObjectMeta meta, L4RouteKind kind, int index, YamlNode node, string path, List<string> vsHosts, NodeReader reader)
    {
        var errors = reader.ErrorCount;
        var match = kind == L4RouteKind.Tls
            ? reader.Mapping(node, path, ["sniHosts", "destinationSubnets", "port", "sourceLabels", "gateways", "sourceNamespace"])
            : reader.Mapping(node, path, ["destinationSubnets", "port", "sourceLabels", "gateways", "sourceNamespace"], unsupported: ["sourceSubnet"]);
        match ??= new Fields(path);

        var sniHosts = new List<string>();
        if (kind == L4RouteKind.Tls)
        {
            var values = reader.StringList(match["sniHosts"], match.PathOf("sniHosts"));
            if (values is null || values.Count == 0)
            {
                reader.Error(match.PathOf("sniHosts"), "at least one SNI host is required");
            }

            foreach (var (value, itemPath) in values ?? [])
            {
                if (ParseSniHost(meta, value, itemPath, vsHosts, reader) is { } sni)
                {
                    sniHosts.Add(sni);
                }
            }
        }

        if (match.Has("destinationSubnets"))
        {
            reader.StringList(match["destinationSubnets"], match.PathOf("destinationSubnets"));
            reader.Warning(match.PathOf("destinationSubnets"), "not supported yet; the match applies whatever the destination address");
        }

        var port = reader.Int(match["port"], match.PathOf("port"), 1, 65535);
        var gateways = match.Has("gateways") ? ReadMatchGateways(meta, match, reader, out _) : null;

        // sourceLabels and sourceNamespace select sidecars; Istio's gateway L4 matching looks only at port and gateways.
        reader.StringMap(match["sourceLabels"], match.PathOf("sourceLabels"));
        reader.String(match["sourceNamespace"], match.PathOf("sourceNamespace"));
        return reader.ErrorCount > errors ? null : new L4MatchConfig(index, sniHosts, port, gateways);
    }

    /// <summary>Istio validateSniHost: a DNS name or wildcard that is a subset of one of the VirtualService's hosts
    /// (an IP address is accepted with a warning, as few clients send one).</summary>
    private static string? ParseSniHost(IstioObjectMeta meta, string value, string path, List<string> vsHosts, NodeReader reader)
    {
        var sni = value.ToLowerInvariant();
        if (System.Net.IPAddress.TryParse(sni, out var ip) && ip.ToString() == sni)
        {
            reader.Warning(path, $"using an IP address (\"{value}\") goes against the SNI specification and most clients do not send one");
        }
        else if (HostName.Validate(sni) is { } problem)
        {
            reader.Error(path, problem);
            return null;
        }

        var qualified = HostName.Qualify(sni, meta.Namespace);
        if (!vsHosts.Any(h => HostName.SubsetOf(sni, h) || HostName.SubsetOf(qualified, h)))
        {
            reader.Error(path, $"SNI host \"{value}\" is not a compatible subset of any of the virtual service hosts: [{string.Join(", ", vsHosts)}]");
            return null;
        }

        return sni;
    }
}
