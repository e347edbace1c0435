using System.Text.RegularExpressions;
using Proxy.Engine.Routing;

namespace Proxy.Istio.Model;

/// <summary>
/// A VirtualService. <see cref="Hosts"/> are qualified and lower-case; <see cref="Gateways"/> excludes <c>mesh</c>.
/// Without hosts it is a delegate (<see cref="IsDelegate"/>): only other VirtualServices' routes reach it.
/// </summary>
internal sealed record VirtualServiceConfig(
    IstioObjectMeta Meta,
    IReadOnlyList<string> Hosts,
    IReadOnlyList<GatewayRef> Gateways,
    IReadOnlyList<HttpRouteConfig> Http,
    IReadOnlyList<L4RouteConfig> Tls,
    IReadOnlyList<L4RouteConfig> Tcp)
{
    /// <summary><c>exportTo</c> with <c>.</c> resolved to the object's namespace; null exports to every namespace.</summary>
    public IReadOnlyList<string>? ExportTo { get; init; }

    /// <summary>Istio: "hosts ... must be empty for a delegate VirtualService".</summary>
    public bool IsDelegate => Hosts.Count == 0;

    /// <summary>Whether a root VirtualService in <paramref name="ns"/> may delegate to this one (Istio checks the delegate's exportTo).</summary>
    public bool IsExportedTo(string ns) => ExportTo is null || ExportTo.Contains("*") || ExportTo.Contains(ns);
}

/// <summary>A reference to a Gateway by namespace and name.</summary>
internal sealed record GatewayRef(string Namespace, string Name)
{
    public override string ToString() => Namespace + "/" + Name;
}

/// <summary>
/// One <c>spec.http[Index]</c> route. Empty <c>Matches</c> match every request unless some match block was invalid
/// (<c>HasInvalidMatch</c>, the route is then never served). The action is one of: <c>Destinations</c> (forward),
/// <see cref="Redirect"/>, <see cref="DirectResponse"/>, or <see cref="Delegate"/> (routes of another VirtualService
/// merged in at this position); the other properties edit or accompany it.
/// </summary>
internal sealed record HttpRouteConfig(int Index, string? Name, IReadOnlyList<HttpMatchConfig> Matches, IReadOnlyList<RouteDestinationConfig> Destinations, bool HasInvalidMatch = false)
{
    /// <summary>Whether the route takes every request on every listener: Istio stops translating a VirtualService's
    /// routes after it (BuildHTTPRoutesForVirtualService).</summary>
    public bool MatchesEverything => !HasInvalidMatch && (Matches.Count == 0 || Matches.Any(static m => m.IsCatchAllEverywhere));

    public string Path => $"spec.http[{Index}]";

    public RedirectConfig? Redirect { get; init; }

    public DirectResponseAction? DirectResponse { get; init; }

    public DelegateRef? Delegate { get; init; }

    public RewriteConfig? Rewrite { get; init; }

    public HeadersConfig? Headers { get; init; }

    public FaultPolicy? Fault { get; init; }

    /// <summary><c>mirror</c>, sent <see cref="MirrorPercentage"/> (or the deprecated <see cref="MirrorPercent"/>) of requests.</summary>
    public MirrorConfig? Mirror { get; init; }

    /// <summary><c>mirrors</c>; null when not set (a delegate route then inherits its root's).</summary>
    public IReadOnlyList<MirrorConfig>? Mirrors { get; init; }

    /// <summary><c>mirrorPercentage.value</c>: 0 to 100, taking precedence over <see cref="MirrorPercent"/>.</summary>
    public double? MirrorPercentage { get; init; }

    /// <summary>The deprecated integer <c>mirrorPercent</c> (<c>mirror_percent</c>).</summary>
    public int? MirrorPercent { get; init; }

    public CorsPolicy? Cors { get; init; }

    /// <summary><c>timeout</c>; <see cref="TimeSpan.Zero"/> when set to <c>0s</c> (disabled), null when not set.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary><c>retries</c>; null when not set (Istio's default policy then applies, or a delegate route inherits
    /// its root's).</summary>
    public RetryConfig? Retries { get; init; }
}

/// <summary>
/// <c>retries</c> (HTTPRetry), validated as Istio's ValidateHTTPRetry does. Null members were not set.
/// </summary>
/// <param name="Attempts">Retries after the first attempt; 0 disables retrying (ConvertPolicy returns no policy).</param>
/// <param name="PerTryTimeout"><c>perTryTimeout</c>.</param>
/// <param name="RetryOn">The conditions of an explicit, non-empty <c>retryOn</c>; null keeps Istio's default conditions.</param>
/// <param name="RetriableStatusCodes">The bare status codes of <c>retryOn</c> (Istio parseRetryOn).</param>
/// <param name="RetryIgnorePreviousHosts"><c>retryIgnorePreviousHosts</c>; unset keeps the default (true, but false
/// for a consistent-hash destination).</param>
/// <param name="Backoff"><c>backoff</c>, the back-off base interval.</param>
internal sealed record RetryConfig(
    int Attempts,
    TimeSpan? PerTryTimeout,
    RetryConditions? RetryOn,
    IReadOnlyList<int> RetriableStatusCodes,
    bool? RetryIgnorePreviousHosts,
    TimeSpan? Backoff);

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
    /// <summary>The match block's <c>name</c>; Istio appends it to the route's name (<c>route.match</c>).</summary>
    public string? Name { get; init; }

    /// <summary>Whether <c>gateways</c> listed the reserved <c>mesh</c> (which <see cref="Gateways"/> leaves out).</summary>
    public bool GatewaysIncludeMesh { get; init; }

    /// <summary>
    /// Istio IsCatchAllRoute on the Envoy route this match becomes (pilot route.go): the path is prefix <c>/</c>
    /// (also when <c>uri</c> is absent, as in <c>- {}</c>) or regex <c>.*</c>, and there are no header matchers (which
    /// <c>scheme</c>, <c>method</c>, <c>authority</c>, <c>headers</c> and <c>withoutHeaders</c> become) and no query
    /// parameter matchers. <c>port</c>, <c>gateways</c>, <c>sourceLabels</c> and <c>sourceNamespace</c> decide whether
    /// the route is generated at all, so they do not count, nor does <c>ignoreUriCase</c>.
    /// </summary>
    public bool IsCatchAll =>
        Uri is null or { Kind: StringMatchKind.Prefix, Value: "/" } or { Kind: StringMatchKind.Regex, Value: ".*" } &&
        Scheme is null && Method is null && Authority is null && Headers.Count == 0 && WithoutHeaders.Count == 0 &&
        QueryParams.Count == 0;

    /// <summary>A catch-all wherever the route is served: no condition on the port, gateway or source either.</summary>
    public bool IsCatchAllEverywhere => IsCatchAll && Port is null && Gateways is null && SourceLabels is null && SourceNamespace is null;
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

internal sealed record RouteDestinationConfig(int Index, string Host, string? Subset, int? Port, int? Weight)
{
    /// <summary>HTTPRouteDestination <c>headers</c>: edits for requests to and responses from this destination.</summary>
    public HeadersConfig? Headers { get; init; }
}

/// <summary>
/// HTTPRedirect. Exactly one of <see cref="Port"/> and <see cref="DerivePort"/> may be set; <see cref="Uri"/> and
/// <see cref="PrefixRewrite"/> exclude each other. Empty strings are normalised to null.
/// </summary>
internal sealed record RedirectConfig(string? Uri, string? Authority, int? Port, RedirectPortSelection? DerivePort, string? Scheme, int StatusCode, string? PrefixRewrite);

/// <summary>HTTPRedirect.RedirectPortSelection.</summary>
internal enum RedirectPortSelection
{
    FromProtocolDefault,
    FromRequestPort,
}

/// <summary>Delegate: the VirtualService whose routes replace this route.</summary>
internal sealed record DelegateRef(string Namespace, string Name)
{
    public override string ToString() => Namespace + "/" + Name;
}

/// <summary>
/// HTTPRewrite: <see cref="Uri"/> (the matched prefix, or the whole path, replaced) or <see cref="UriRegexRewrite"/>
/// (every match of an unanchored regex substituted), and <see cref="Authority"/>.
/// </summary>
internal sealed record RewriteConfig(string? Uri, string? Authority, PathRewrite? UriRegexRewrite);

/// <summary>
/// Headers: the request and response edits, and the authority a request <c>set</c>/<c>add</c> of <c>host</c> or
/// <c>:authority</c> asks for (Istio turns those into Envoy's host rewrite, not a header edit).
/// </summary>
internal sealed record HeadersConfig(HeaderOperations? Request, HeaderOperations? Response, string? Authority);

/// <summary>
/// <c>mirror</c> or one <c>mirrors[i]</c> item, with the object that declared it: a delegate route can inherit its
/// root's mirrors, which resolve in the root's namespace and report problems at the root's path.
/// </summary>
/// <param name="Owner">The VirtualService that declared the mirror.</param>
/// <param name="Path">The path of the destination (<c>spec.http[0].mirror</c> or <c>spec.http[0].mirrors[1].destination</c>).</param>
/// <param name="Destination">Where copies go.</param>
/// <param name="Percentage">A <c>mirrors[i].percentage</c>; null for <c>mirror</c> and when absent.</param>
internal sealed record MirrorConfig(IstioObjectMeta Owner, string Path, RouteDestinationConfig Destination, double? Percentage);

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
