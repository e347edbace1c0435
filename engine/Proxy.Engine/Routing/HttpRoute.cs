using Proxy.Engine.Config;
using Proxy.Engine.Http;

namespace Proxy.Engine.Routing;

/// <summary>
/// What a matched route tells the engine to do: answer itself (<see cref="Redirect"/>, <see cref="DirectResponse"/>,
/// an https redirect, a CORS preflight, an injected fault), or forward to one of the weighted destinations with the
/// request and response edited (<see cref="PathRewrite"/>, <see cref="AuthorityRewrite"/>, header operations) and
/// copies sent to <see cref="Mirrors"/>. Immutable once published; shared by every request it matches.
/// </summary>
/// <remarks>
/// Order per request, as Envoy's filter chain runs: CORS (a preflight from an allowed origin is answered here), fault
/// (delay, then abort), then the route's action: redirect, direct response, or forward. Mirrors are sent for forwarded
/// requests only. Header operations apply to forwarded requests and to the responses of forwarded requests and direct
/// responses; destination-level operations run before route-level ones, so the route's <c>set</c> wins.
/// </remarks>
public sealed class HttpRoute
{
    private readonly WeightedClusterPicker _picker;
    private RouteActions? _actions;

    /// <param name="name">Route name for logs and metrics (Envoy's route_name).</param>
    /// <param name="destinations">Destinations with relative weights (Istio: weight/(sum of weights)); weight 0 gets no traffic.</param>
    public HttpRoute(string name, IReadOnlyList<WeightedCluster> destinations)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        _picker = new WeightedClusterPicker(destinations);
    }

    public string Name { get; }

    public IReadOnlyList<WeightedCluster> Destinations => _picker.Destinations;

    /// <summary>
    /// Answer 301 to the same authority and path over https instead of forwarding (Istio Gateway
    /// <c>tls.httpsRedirect</c>, Envoy <c>require_tls: ALL</c>). An explicit port 80 in Host is dropped; any other
    /// port is kept.
    /// </summary>
    public bool HttpsRedirect { get; private init; }

    /// <summary>A route that redirects every request to https (see <see cref="HttpsRedirect"/>).</summary>
    public static HttpRoute CreateHttpsRedirect(string name) => new(name, []) { HttpsRedirect = true };

    /// <summary>Answer with a redirect built from the request's URL (takes precedence over destinations).</summary>
    public RedirectAction? Redirect { get; init; }

    /// <summary>Answer with a fixed status and body (takes precedence over destinations).</summary>
    public DirectResponseAction? DirectResponse { get; init; }

    /// <summary>Rewrites the path sent upstream; null sends it as received.</summary>
    public PathRewrite? PathRewrite { get; init; }

    /// <summary>Replaces the Host sent upstream; null sends it as received.</summary>
    public string? AuthorityRewrite { get; init; }

    /// <summary>Header edits for the request sent upstream.</summary>
    public HeaderOperations? RequestHeaders { get; init; }

    /// <summary>Header edits for the response sent to the client.</summary>
    public HeaderOperations? ResponseHeaders { get; init; }

    public FaultPolicy? Fault { get; init; }

    public IReadOnlyList<MirrorPolicy> Mirrors { get; init; } = [];

    public CorsPolicy? Cors { get; init; }

    /// <summary>
    /// The route timeout (Istio VirtualService <c>http[].timeout</c>, Envoy route <c>timeout</c>): counted from the
    /// moment the whole request has been sent on, until the response is complete. On expiry before any response byte
    /// reached the client the answer is 504 <c>upstream request timeout</c> (flag UT); after, the client connection is
    /// closed. The upstream connection is aborted either way. Null (Istio's default) means none. Every retry is
    /// within it.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>How failed attempts are retried; null or zero <see cref="RetryPolicy.NumRetries"/> for none.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>Picks a destination with probability weight/(sum of weights); null when every weight is 0 or there are none.</summary>
    public ClusterConfig? PickCluster() => _picker.Pick();

    /// <summary>Like <see cref="PickCluster"/>, with the destination's own header operations.</summary>
    public WeightedCluster? PickDestination() => _picker.PickDestination();

    /// <summary>The actions compiled for the data path, built on first use (init-only properties are final by then). Two
    /// first requests racing build equal copies; one wins.</summary>
    internal RouteActions Actions => Volatile.Read(ref _actions) ?? CompileActions();

    private RouteActions CompileActions()
    {
        Interlocked.CompareExchange(ref _actions, new RouteActions(this), null);
        return _actions;
    }
}
