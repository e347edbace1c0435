using Proxy.Engine.Config;
using Proxy.Engine.Tls;
using Proxy.Engine.Transport;

namespace Proxy.Engine;

/// <summary>A bound listener and what its connections consult: the config and, for TLS, the compiled chain selector.</summary>
internal sealed class ListenerState
{
    public ListenerState(ListenerConfig config, SocketListener socket)
    {
        Config = config;
        Socket = socket;
        TlsChains = config.TlsFilterChains is { } chains ? new TlsChainSelector(chains) : null;
    }

    public ListenerConfig Config { get; }

    public SocketListener Socket { get; }

    /// <summary>SNI -> filter chain, for TLS listeners.</summary>
    public TlsChainSelector? TlsChains { get; }

    public int Port => Socket.EndPoint.Port;
}
