using Proxy.Engine.Routing;
using Proxy.Istio.Model;

namespace Proxy.Istio.Compilation;

/// <summary>
/// The parts of Istio's route translation (pilot/pkg/networking/core/route/route.go) that turn validated route
/// actions into the engine's: redirect, path rewrite, header edits and mirror percentages.
/// </summary>
internal static class RouteActionCompiler
{
    /// <summary>
    /// Istio ApplyRedirect. <c>derivePort: FROM_REQUEST_PORT</c> is the gateway server's port ("we always generate
    /// routes in the context of a specific request port"); <c>FROM_PROTOCOL_DEFAULT</c> sets no port, which is
    /// Envoy's default handling. With an explicit or derived port, the scheme's default port (80 for http, 443 for
    /// https; the scheme is the redirect's, else https on a server with TLS settings) is left out of the Location.
    /// </summary>
    public static RedirectAction Redirect(RedirectConfig redirect, HttpMatchConfig? match, int serverPort, bool serverHasTls)
    {
        int? port = null;
        if (redirect.Port is not null || redirect.DerivePort is not null)
        {
            port = redirect.DerivePort switch
            {
                RedirectPortSelection.FromRequestPort => serverPort,
                RedirectPortSelection.FromProtocolDefault => null,
                _ => redirect.Port is > 0 ? redirect.Port : null,
            };
            var scheme = redirect.Scheme ?? (serverHasTls ? "https" : "http");
            if ((port == 80 && scheme == "http") || (port == 443 && scheme == "https"))
            {
                port = null;
            }
        }

        return new RedirectAction
        {
            StatusCode = redirect.StatusCode,
            Scheme = redirect.Scheme,
            Host = redirect.Authority,
            Port = port,
            Path = redirect.Uri,
            PathRewrite = redirect.PrefixRewrite is { } prefix ? MatchedPathRewrite(prefix, match) : null,
        };
    }

    /// <summary>
    /// The path rewrite of a forwarded request: <c>uriRegexRewrite</c> as is, or <c>uri</c> as Envoy's
    /// <c>prefix_rewrite</c> on the route Istio builds for that match block.
    /// </summary>
    public static PathRewrite? PathRewrite(RewriteConfig? rewrite, HttpMatchConfig? match) =>
        rewrite?.UriRegexRewrite ?? (rewrite?.Uri is { } uri ? MatchedPathRewrite(uri, match) : null);

    /// <summary>
    /// Envoy's <c>prefix_rewrite</c>: "the matched prefix (or path) should be swapped with this value". A prefix
    /// match swaps its prefix (honouring <c>ignoreUriCase</c>); an exact or regex match has matched the whole path;
    /// a match block without <c>uri</c>, or no match block, becomes Istio's <c>prefix: /</c> route
    /// (TranslateRouteMatch), so the leading <c>/</c> is swapped.
    /// </summary>
    public static PathRewrite MatchedPathRewrite(string replacement, HttpMatchConfig? match) => match?.Uri switch
    {
        null => Engine.Routing.PathRewrite.ReplacePrefix("/", replacement),
        { Kind: StringMatchKind.Prefix } prefix => Engine.Routing.PathRewrite.ReplacePrefix(prefix.Value, replacement, match.IgnoreUriCase),
        _ => Engine.Routing.PathRewrite.ReplacePath(replacement),
    };

    /// <summary>
    /// Istio MirrorPercent for <c>mirror</c>: <c>mirrorPercentage</c>, else the deprecated <c>mirrorPercent</c>,
    /// else 100 ("If this field is absent, all the traffic (100%) will be mirrored"); null when explicitly 0.
    /// </summary>
    public static double? MirrorPercentage(HttpRouteConfig route)
    {
        var percentage = route.MirrorPercentage ?? route.MirrorPercent ?? 100;
        return percentage > 0 ? percentage : null;
    }

    /// <summary>
    /// One list of edits from a route's and its only destination's, as Istio appends a single destination's
    /// operations after the route's (processDestination) and Envoy applies one list: every remove first, then the
    /// additions in order, so the destination's <c>set</c> of a name wins over the route's <c>set</c> and <c>add</c>.
    /// </summary>
    public static HeaderOperations? Combine(HeaderOperations? route, HeaderOperations? destination)
    {
        if (route is null || destination is null)
        {
            return route ?? destination;
        }

        var set = new List<KeyValuePair<string, string>>(route.Set);
        set.AddRange(destination.Set);
        var add = new List<KeyValuePair<string, string>>(route.Add.Count + destination.Add.Count);
        foreach (var field in route.Add)
        {
            if (!destination.Set.Any(s => s.Key.Equals(field.Key, StringComparison.OrdinalIgnoreCase)))
            {
                add.Add(field);
            }
        }

        add.AddRange(destination.Add);
        return new HeaderOperations(set, add, [.. route.Remove, .. destination.Remove]);
    }
}
