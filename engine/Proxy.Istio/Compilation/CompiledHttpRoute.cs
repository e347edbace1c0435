using System.Runtime.CompilerServices;
using Proxy.Engine.Routing;
using Proxy.Istio.Model;

namespace Proxy.Istio.Compilation;

/// <summary>
/// One HTTP route after delegate merging and destination resolution, from which the <see cref="HttpRoute"/> of each
/// match block on each listener is made.
/// </summary>
/// <remarks>
/// Istio builds one Envoy route per match block, and some actions depend on that block or on the listener: a
/// <c>rewrite.uri</c> or <c>redirect.prefixRewrite</c> swaps the prefix that block matched, a match <c>name</c>
/// extends the route's name, and a redirect's derived port is the gateway server's. Only such routes get an
/// <see cref="HttpRoute"/> per block (or per server port); others share one instance.
/// </remarks>
internal sealed class CompiledHttpRoute
{
    private readonly Dictionary<(HttpMatchConfig? Match, int Port, bool Tls), HttpRoute> _variants = new(VariantComparer.Instance);
    private readonly string _name;
    private readonly IReadOnlyList<WeightedCluster> _destinations;
    private readonly IReadOnlyList<MirrorPolicy> _mirrors;
    private readonly string? _authority;
    private readonly HeaderOperations? _requestHeaders;
    private readonly HeaderOperations? _responseHeaders;
    private readonly RetryPolicy? _retry;

    /// <param name="config">The route, merged with its root when it came from a delegate.</param>
    /// <param name="name">The route's name without a match block's name.</param>
    /// <param name="destinations">Resolved destinations with their header edits; empty for a redirect or a direct response.</param>
    /// <param name="mirrors">Resolved mirrors with their percentages.</param>
    /// <param name="authority">The authority rewrite (rewrite.authority, a request host header, or the only destination's).</param>
    /// <param name="requestHeaders">Request header edits of the route (and of its only destination).</param>
    /// <param name="responseHeaders">Response header edits of the route (and of its only destination).</param>
    /// <param name="retry">The retry policy of a forwarding route; null for none.</param>
    public CompiledHttpRoute(HttpRouteConfig config, string name, IReadOnlyList<WeightedCluster> destinations, IReadOnlyList<MirrorPolicy> mirrors,
        string? authority, HeaderOperations? requestHeaders, HeaderOperations? responseHeaders, RetryPolicy? retry = null)
    {
        Config = config;
        _name = name;
        _destinations = destinations;
        _mirrors = mirrors;
        _authority = authority;
        _requestHeaders = requestHeaders;
        _responseHeaders = responseHeaders;
        _retry = retry;
    }

    public HttpRouteConfig Config { get; }

    private bool Forwards => Config.Redirect is null && Config.DirectResponse is null;

    /// <summary>The route for requests that <paramref name="match"/> (null: the route has no match blocks) selects on a
    /// server listening on <paramref name="serverPort"/>, with or without TLS settings.</summary>
    public HttpRoute For(HttpMatchConfig? match, int serverPort, bool serverHasTls)
    {
        var byMatch = match?.Name is not null || Config.Redirect?.PrefixRewrite is not null || (Forwards && Config.Rewrite?.Uri is not null);
        var byServer = Config.Redirect is { Port: not null } or { DerivePort: not null };
        var key = (byMatch ? match : null, byServer ? serverPort : 0, byServer && serverHasTls);
        if (!_variants.TryGetValue(key, out var route))
        {
            _variants[key] = route = Build(match, serverPort, serverHasTls);
        }

        return route;
    }

    /// <summary>Istio TranslateRoute: the name (<c>route.match</c>), then redirect, direct response or forward, with
    /// header edits, fault and CORS whatever the action; timeout and retries when forwarding.</summary>
    private HttpRoute Build(HttpMatchConfig? match, int serverPort, bool serverHasTls)
    {
        var forwards = Forwards;
        return new HttpRoute(match?.Name is { } matchName ? _name + "." + matchName : _name, forwards ? _destinations : [])
        {
            Redirect = Config.Redirect is { } redirect ? RouteActionCompiler.Redirect(redirect, match, serverPort, serverHasTls) : null,
            DirectResponse = Config.Redirect is null ? Config.DirectResponse : null,
            PathRewrite = forwards ? RouteActionCompiler.PathRewrite(Config.Rewrite, match) : null,
            AuthorityRewrite = forwards ? _authority : null,
            RequestHeaders = _requestHeaders,
            ResponseHeaders = _responseHeaders,
            Fault = Config.Fault,
            Mirrors = forwards ? _mirrors : [],
            Cors = Config.Cors,
            Timeout = forwards && Config.Timeout is { } timeout && timeout > TimeSpan.Zero ? timeout : null,

            // Kept with a fault, as Istio does (TranslateRoute sets the fault filter's config beside the route action);
            // an aborted request never reaches the router, so it is never retried.
            Retry = forwards ? _retry : null,
        };
    }

    private sealed class VariantComparer : IEqualityComparer<(HttpMatchConfig? Match, int Port, bool Tls)>
    {
        public static readonly VariantComparer Instance = new();

        public bool Equals((HttpMatchConfig? Match, int Port, bool Tls) x, (HttpMatchConfig? Match, int Port, bool Tls) y) =>
            ReferenceEquals(x.Match, y.Match) && x.Port == y.Port && x.Tls == y.Tls;

        public int GetHashCode((HttpMatchConfig? Match, int Port, bool Tls) obj) =>
            HashCode.Combine(RuntimeHelpers.GetHashCode(obj.Match), obj.Port, obj.Tls);
    }
}
