using System.Net;
using Proxy.Engine.Routing;

namespace Proxy.Engine.Config;

/// <summary>
/// One bound address and what serves it. Listeners are identified by <see cref="Name"/> across reloads. Exactly one
/// of <see cref="Router"/> (plaintext HTTP/1.1), <see cref="TcpRouter"/> (plaintext L4) or
/// <see cref="TlsFilterChains"/> (TLS: the ClientHello's SNI picks a chain) is set.
/// </summary>
public sealed class ListenerConfig
{
    /// <summary>Unique name, e.g. Istio's <c>0.0.0.0_8080</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Address and port to bind; port 0 picks a free port (see <see cref="ProxyServer.GetBoundEndPoint"/>).</summary>
    public required IPEndPoint EndPoint { get; init; }

    /// <summary>Plaintext HTTP/1.1: the compiled route table consulted for every request on this listener.</summary>
    public IHttpRouter? Router { get; init; }

    /// <summary>Plaintext TCP: picks the cluster each downstream connection is pumped to.</summary>
    public ITcpRouter? TcpRouter { get; init; }

    /// <summary>
    /// TLS: the ClientHello is read (not consumed) and its SNI selects a chain, most specific first: an exact server
    /// name, then the longest matching <c>*.suffix</c>, then a chain without server names, then the first terminating
    /// chain (no SNI or an unknown name gets the first server's certificate, as with Envoy in Istio). A listener of
    /// passthrough chains closes a connection no chain claims. A chain then terminates TLS or passes it through.
    /// </summary>
    public IReadOnlyList<TlsFilterChain>? TlsFilterChains { get; init; }

    /// <summary>
    /// How long a client has from connecting to finishing the TLS handshake (ClientHello included) before the
    /// connection is closed. Envoy's default is 10 s.
    /// </summary>
    public TimeSpan TlsHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// HTTP: how long a client has from the first byte of a request to the end of its head; then it gets 408
    /// <c>request header timeout</c> and the connection closes (Envoy HCM <c>request_headers_timeout</c>, same reply).
    /// Envoy leaves it off by default; an edge gateway must not let a slowloris client hold a connection, so the default
    /// here is 60 s. Zero or <see cref="Timeout.InfiniteTimeSpan"/> disables it. Checked by the server's 1 s heartbeat,
    /// so it fires up to a second late.
    /// </summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// HTTP: how long a keep-alive connection may wait for its next request (no byte of it yet) before it is closed
    /// (Envoy HCM <c>common_http_protocol_options.idle_timeout</c>, default 1 h). Counted from the connection's start or
    /// the end of its last request. Zero or <see cref="Timeout.InfiniteTimeSpan"/> disables it. Heartbeat-checked.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The kind of listener, derived from which of the router properties is set.</summary>
    public ListenerProtocol Protocol =>
        TlsFilterChains is not null ? ListenerProtocol.Tls
        : TcpRouter is not null ? ListenerProtocol.Tcp
        : ListenerProtocol.Http;

    /// <summary>Throws <see cref="ArgumentException"/> when the listener is not exactly one kind.</summary>
    public void Validate()
    {
        var kinds = (Router is null ? 0 : 1) + (TcpRouter is null ? 0 : 1) + (TlsFilterChains is null ? 0 : 1);
        if (kinds != 1)
        {
            throw new ArgumentException($"Listener {Name}: exactly one of Router, TcpRouter or TlsFilterChains must be set.");
        }

        if (TlsFilterChains is { } chains)
        {
            if (chains.Count == 0)
            {
                throw new ArgumentException($"Listener {Name}: TlsFilterChains is empty.");
            }

            foreach (var chain in chains)
            {
                chain.Validate(Name);
            }
        }
    }
}

/// <summary>What a listener speaks on accept.</summary>
public enum ListenerProtocol
{
    Http,
    Tcp,
    Tls,
}
