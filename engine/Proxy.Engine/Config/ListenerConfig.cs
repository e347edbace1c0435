using System.Net;
using Proxy.Engine.Routing;

namespace Proxy.Engine.Config;

/// <summary>One bound address and what serves it. Listeners are identified by <see cref="Name"/> across reloads.</summary>
public sealed class ListenerConfig
{
    /// <summary>Unique name, e.g. Istio's <c>0.0.0.0_8080</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Address and port to bind; port 0 picks a free port (see <see cref="ProxyServer.GetBoundEndPoint"/>).</summary>
    public required IPEndPoint EndPoint { get; init; }

    /// <summary>The compiled route table consulted for every request on this listener.</summary>
    public required IHttpRouter Router { get; init; }
}
