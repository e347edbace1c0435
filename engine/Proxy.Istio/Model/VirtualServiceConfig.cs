using System.Text.RegularExpressions;

namespace Proxy.Istio.Model;

/// <summary>A VirtualService. <see cref="Hosts"/> are qualified and lower-case; <see cref="Gateways"/> excludes <c>mesh</c>.</summary>
internal sealed record VirtualServiceConfig(
    IstioObjectMeta Meta,
    IReadOnlyList<string> Hosts,
    IReadOnlyList<GatewayRef> Gateways,
    IReadOnlyList<HttpRouteConfig> Http,
    IReadOnlyList<L4RouteConfig> Tls,
    IReadOnlyList<L4RouteConfig> Tcp);

/// <summary>A reference to a Gateway by namespace and name.</summary>
internal sealed record GatewayRef(string Namespace, string Name)
{
    public override string ToString() => Namespace + "/" + Name;
}

/// <summary>One <c>spec.http[Index]</c> route. Empty <c>Matches</c> match every request unless some match block was
/// invalid (<c>HasInvalidMatch</c>, the route is then never served); empty <c>Destinations</c> means the route only
/// redirects or answers directly (not supported yet).</summary>
internal sealed record HttpRouteConfig(int Index, string? Name, IReadOnlyList<HttpMatchConfig> Matches, IReadOnlyList<RouteDestinationConfig> Destinations, bool HasInvalidMatch = false)
{
    public bool MatchesEverything => !HasInvalidMatch && (Matches.Count == 0 || Matches.Any(static m => m.IsCatchAll));
}

internal sealed record HttpMatchConfig(
    int Index,
    StringMatchConfig? Uri,
    bool IgnoreUriCase,
    StringMatchConfig? Scheme,
    StringMatchConfig? Method,
    StringMatchConfig? Authority,
    IReadOnlyList<KeyValueMatchConfig> Headers,
    IReadOnlyList<KeyValueMatchConfig> WithoutHeaders,
    IReadOnlyList<KeyValueMatchConfig> QueryParams,
    int? Port,
    IReadOnlyList<GatewayRef>? Gateways,
    IReadOnlyDictionary<string, string>? SourceLabels,
    string? SourceNamespace)
{
    /// <summary>Istio's isCatchAllMatch: only <c>uri: {prefix: /}</c> (or regex <c>.*</c>) and nothing else.</summary>
    public bool IsCatchAll =>
        Uri is { Kind: StringMatchKind.Prefix, Value: "/" } or { Kind: StringMatchKind.Regex, Value: ".*" } &&
        Scheme is null && Method is null && Authority is null && Headers.Count == 0 && WithoutHeaders.Count == 0 &&
        QueryParams.Count == 0 && Port is null && Gateways is null && SourceLabels is null && SourceNamespace is null;
}

internal enum StringMatchKind
{
    Exact,
    Prefix,
    Regex,
}

/// <summary>Istio StringMatch; <see cref="Regex"/> is the compiled full-match regex when <see cref="Kind"/> is Regex.</summary>
internal sealed record StringMatchConfig(StringMatchKind Kind, string Value, Regex? Regex);

/// <summary>A header or query parameter condition; a null <see cref="Match"/> means presence only.</summary>
internal sealed record KeyValueMatchConfig(string Name, StringMatchConfig? Match);

internal sealed record RouteDestinationConfig(int Index, string Host, string? Subset, int? Port, int? Weight);

/// <summary>Which list an L4 route came from: <c>spec.tls</c> (SNI routes of passthrough servers) or <c>spec.tcp</c>.</summary>
internal enum L4RouteKind
{
    Tls,
    Tcp,
}

/// <summary>
/// One <c>spec.tls[Index]</c> or <c>spec.tcp[Index]</c> route. Empty <see cref="Matches"/> match every connection (tcp
/// only: a tls route needs at least one match). A match block that failed validation is dropped and
/// <see cref="HasInvalidMatch"/> set, and such a route is never served.
/// </summary>
internal sealed record L4RouteConfig(L4RouteKind Kind, int Index, IReadOnlyList<L4MatchConfig> Matches, IReadOnlyList<RouteDestinationConfig> Destinations, bool HasInvalidMatch = false)
{
    public string Path => $"spec.{(Kind == L4RouteKind.Tls ? "tls" : "tcp")}[{Index}]";
}

/// <summary>
/// TLSMatchAttributes / L4MatchAttributes: <see cref="SniHosts"/> (lower-case; tls only), and the conditions on where
/// the route is served, decided at compile time (<c>port</c>, <c>gateways</c>; <c>sourceLabels</c> and
/// <c>sourceNamespace</c> select sidecars and do not apply at a gateway).
/// </summary>
internal sealed record L4MatchConfig(int Index, IReadOnlyList<string> SniHosts, int? Port, IReadOnlyList<GatewayRef>? Gateways);
