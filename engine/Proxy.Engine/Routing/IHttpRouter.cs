using Proxy.Engine.Http;

namespace Proxy.Engine.Routing;

/// <summary>
/// The seam between the data path and whatever compiles routing rules (the Istio module, a programmatic table, ...).
/// A router is an immutable compiled table: the engine publishes a new one with a single volatile write and never
/// locks to read it. <see cref="Route"/> is called on the request path for every request and must not allocate.
/// </summary>
public interface IHttpRouter
{
    /// <summary>Chooses the route for a request, or null when none matches (the engine answers 404, flag NR).</summary>
    /// <param name="request">The parsed request head; its spans are valid only during the call.</param>
    HttpRoute? Route(HttpRequestHead request);
}
