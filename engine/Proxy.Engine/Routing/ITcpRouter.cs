using System.Net;

namespace Proxy.Engine.Routing;

/// <summary>
/// Picks where an L4 connection goes (Istio VirtualService <c>tcp</c> and <c>tls</c> routes). Called once per
/// downstream connection; must be thread-safe.
/// </summary>
public interface ITcpRouter
{
    /// <summary>The route for the connection, or null when none matches (the connection is closed, flag NR).</summary>
    TcpRoute? Route(in TcpRouteContext context);
}

/// <summary>What an L4 route can match on.</summary>
/// <param name="ServerName">SNI from the ClientHello (lowercase), or null for plaintext or a hello without SNI.</param>
/// <param name="LocalEndPoint">The listener address the connection arrived on.</param>
/// <param name="RemoteEndPoint">The client's address.</param>
public readonly record struct TcpRouteContext(string? ServerName, IPEndPoint? LocalEndPoint, IPEndPoint? RemoteEndPoint);
