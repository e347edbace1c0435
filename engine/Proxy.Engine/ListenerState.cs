using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Transport;

namespace Proxy.Engine;

/// <summary>A bound listener and the route table its connections consult (swapped atomically on reload).</summary>
internal sealed class ListenerState
{
    private volatile IHttpRouter _router;

    public ListenerState(ListenerConfig config, SocketListener socket)
    {
        Config = config;
        Socket = socket;
        _router = config.Router;
    }

    public ListenerConfig Config { get; private set; }

    public SocketListener Socket { get; }

    public IHttpRouter Router => _router;

    public string Scheme { get; } = "http";

    public int Port => Socket.EndPoint.Port;

    public void Update(ListenerConfig config)
    {
        Config = config;
        _router = config.Router;
    }
}
