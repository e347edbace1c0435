namespace Proxy.Engine.Routing;

/// <summary>
/// Answer with a redirect instead of forwarding (Envoy's <c>RedirectAction</c>, Istio's <c>HTTPRedirect</c>). The
/// Location is the request's URL with the parts set here replaced; parts left null are kept from the request.
/// </summary>
public sealed class RedirectAction
{
    /// <summary>301, 302, 303, 307 or 308. Envoy and Istio default to 301.</summary>
    public int StatusCode { get; init; } = 301;

    /// <summary>The scheme of the Location (<c>http</c> or <c>https</c>); null keeps the request's scheme.</summary>
    public string? Scheme { get; init; }

    /// <summary>Replaces the host of the Location (Envoy <c>host_redirect</c>); null keeps the request's host.</summary>
    public string? Host { get; init; }

    /// <summary>Replaces the port of the Location (Envoy <c>port_redirect</c>); null keeps Envoy's default handling.</summary>
    public int? Port { get; init; }

    /// <summary>Replaces the whole path (Envoy <c>path_redirect</c>); a query in it replaces the request's query.</summary>
    public string? Path { get; init; }

    /// <summary>
    /// Rewrites the request's path into the Location's (Envoy <c>prefix_rewrite</c> on a redirect: the matched prefix,
    /// or the whole path, swapped; the query is kept); null keeps the path. Not combined with <see cref="Path"/>.
    /// </summary>
    public PathRewrite? PathRewrite { get; init; }

    /// <summary>Drops the request's query from the Location (Envoy <c>strip_query</c>).</summary>
    public bool StripQuery { get; init; }
}
