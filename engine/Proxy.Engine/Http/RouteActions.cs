using System.Text;
using Proxy.Engine.Routing;

namespace Proxy.Engine.Http;

/// <summary>
/// What the data path needs of an <see cref="HttpRoute"/>'s actions, compiled to bytes once, on the route's first
/// request (<see cref="HttpRoute.Actions"/>): header edits folded per destination, CORS fields, the redirect, the
/// authority rewrite. Immutable; shared by every request the route matches.
/// </summary>
internal sealed class RouteActions
{
    private readonly WeightedCluster[] _destinations;
    private readonly HeaderEdit?[] _requestEdits;
    private readonly HeaderEdit?[] _responseEdits;
    private readonly byte[]?[] _authorityRewrites;

    public RouteActions(HttpRoute route)
    {
        _destinations = [.. route.Destinations];
        _requestEdits = new HeaderEdit?[_destinations.Length];
        _responseEdits = new HeaderEdit?[_destinations.Length];
        _authorityRewrites = new byte[]?[_destinations.Length];
        var routeAuthority = string.IsNullOrEmpty(route.AuthorityRewrite) ? null : Encoding.UTF8.GetBytes(route.AuthorityRewrite);
        for (var i = 0; i < _destinations.Length; i++)
        {
            // Destination first, then the route, so the route's set wins (Envoy: the more specific level runs first).
            _requestEdits[i] = HeaderEdit.Compile(_destinations[i].RequestHeaders, route.RequestHeaders, request: true);
            _responseEdits[i] = HeaderEdit.Compile(_destinations[i].ResponseHeaders, route.ResponseHeaders, request: false);

            // The route's authority wins over the destination's (Istio puts the route's on the route action).
            _authorityRewrites[i] = routeAuthority
                ?? (string.IsNullOrEmpty(_destinations[i].AuthorityRewrite) ? null : Encoding.UTF8.GetBytes(_destinations[i].AuthorityRewrite!));
        }

        LocalResponseEdit = HeaderEdit.Compile(null, route.ResponseHeaders, request: false);
        Cors = route.Cors is { } cors ? new CorsActions(cors) : null;
        Redirect = route.Redirect is { } redirect ? new RedirectTarget(redirect) : null;
        Mirrors = [.. route.Mirrors];
    }

    /// <summary>The route's own response edits, for the replies it answers itself (direct response, redirect).</summary>
    public HeaderEdit? LocalResponseEdit { get; }

    public CorsActions? Cors { get; }

    public RedirectTarget? Redirect { get; }

    /// <summary>The Host sent upstream to this destination instead of the request's (the route's, else the
    /// destination's), or null.</summary>
    public byte[]? AuthorityRewriteFor(WeightedCluster destination) => Find(_authorityRewrites, destination);

    public MirrorPolicy[] Mirrors { get; }

    /// <summary>Request edits for the destination <see cref="HttpRoute.PickDestination"/> returned.</summary>
    public HeaderEdit? RequestEdit(WeightedCluster destination) => Find(_requestEdits, destination);

    /// <summary>Response edits for the destination <see cref="HttpRoute.PickDestination"/> returned.</summary>
    public HeaderEdit? ResponseEdit(WeightedCluster destination) => Find(_responseEdits, destination);

    private T? Find<T>(T?[] edits, WeightedCluster destination)
        where T : class
    {
        // A route has a handful of destinations: a reference scan beats any lookup structure.
        var destinations = _destinations;
        for (var i = 0; i < destinations.Length && i < edits.Length; i++)
        {
            if (ReferenceEquals(destinations[i], destination))
            {
                return edits[i];
            }
        }

        return null;
    }
}
