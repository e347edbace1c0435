namespace Proxy.Engine.Routing;

/// <summary>
/// Cross-origin resource sharing for a route (Envoy's CORS filter, Istio <c>CorsPolicy</c>): a preflight from an
/// allowed origin is answered by the proxy; actual requests from an allowed origin get the CORS headers on their
/// response. Requests without <c>Origin</c>, or from an origin not allowed, are forwarded untouched.
/// </summary>
public sealed class CorsPolicy
{
    /// <summary>Origins allowed; a match echoes the request's Origin in <c>access-control-allow-origin</c>.</summary>
    public IReadOnlyList<ValueMatcher> AllowOrigins { get; init; } = [];

    /// <summary><c>access-control-allow-methods</c> of preflight replies, e.g. <c>GET,POST</c>; null to omit.</summary>
    public string? AllowMethods { get; init; }

    /// <summary><c>access-control-allow-headers</c> of preflight replies; null to omit.</summary>
    public string? AllowHeaders { get; init; }

    /// <summary><c>access-control-expose-headers</c> of actual responses; null to omit.</summary>
    public string? ExposeHeaders { get; init; }

    /// <summary><c>access-control-max-age</c> of preflight replies; null to omit.</summary>
    public TimeSpan? MaxAge { get; init; }

    /// <summary>Sends <c>access-control-allow-credentials: true</c> when set.</summary>
    public bool AllowCredentials { get; init; }

    /// <summary>
    /// What happens to a preflight whose origin is not allowed: forwarded upstream (true, Istio's FORWARD default), or
    /// answered 200 without CORS headers (false, Istio's IGNORE).
    /// </summary>
    public bool ForwardUnmatchedPreflights { get; init; } = true;
}
