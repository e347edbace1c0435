using Proxy.Engine.Routing;

namespace Proxy.Istio.Routing;

/// <summary>
/// The route of a TCP server, or of a TLS server that terminates and forwards TCP. Istio decides it per server when it
/// builds the listener: the first <c>tcp[]</c> route, in VirtualService order, whose match conditions (port, gateways)
/// hold for the server, so every connection gets the same one. Null closes every connection (no route).
/// </summary>
internal sealed class StaticTcpRouter(TcpRoute? route) : ITcpRouter
{
    public TcpRoute? Only { get; } = route;

    public TcpRoute? Route(in TcpRouteContext context) => Only;
}
