using System.Text;
using Proxy.Engine.Http;
using Proxy.Engine.Routing;

namespace Proxy.Engine.Tests.Infrastructure;

/// <summary>
/// A programmatic router: (host, path prefix) -> route, first match wins, host "*" matches any. It exists to prove
/// the engine's router seam needs nothing from the Istio module.
/// </summary>
public sealed class TableRouter : IHttpRouter
{
    private readonly List<(byte[] Host, byte[] Prefix, HttpRoute Route)> _entries = [];

    public TableRouter Add(string host, string pathPrefix, HttpRoute route)
    {
        _entries.Add((Encoding.ASCII.GetBytes(host), Encoding.ASCII.GetBytes(pathPrefix), route));
        return this;
    }

    public HttpRoute? Route(HttpRequestHead request)
    {
        foreach (var (host, prefix, route) in _entries)
        {
            var hostMatches = host is [(byte)'*'] || System.Text.Ascii.EqualsIgnoreCase(request.Host, host);
            if (hostMatches && request.Path.StartsWith(prefix))
            {
                return route;
            }
        }

        return null;
    }
}
