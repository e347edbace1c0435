using Proxy.Engine.Routing;

namespace Proxy.Istio.Routing;

/// <summary>One match block of one route: a null <see cref="Match"/> matches every request.</summary>
internal sealed record RouteEntry(RequestMatcher? Match, HttpRoute Route, bool IsCatchAll);
