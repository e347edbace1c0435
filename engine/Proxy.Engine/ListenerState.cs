using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Transport;

namespace Proxy.Engine;

/// <summary>A bound listener and the route table its connections consult.</summary>
internal sealed class ListenerState
{
    public ListenerState(ListenerConfig config, SocketListener socket)
    {
        Config = config;
        Socket = socket;
    }

    public ListenerConfig Config { get; }

    public SocketListener Socket { get; }

    public IHttpRouter Router => Config.Router!;

    public string Scheme { get; } = "http";

    public int Port => Socket.EndPoint.Port;
}
