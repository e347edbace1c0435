using Proxy.Engine.Routing;

namespace Proxy.Engine.Config;

/// <summary>
/// What a TLS listener does for the server names it covers (Envoy's filter chain with <c>server_names</c>, what
/// Istio compiles one Gateway server to). Passthrough when <see cref="Termination"/> is null: the untouched TLS
/// stream is pumped to the cluster <see cref="TcpRouter"/> picks by SNI. Otherwise TLS is terminated with
/// <see cref="Termination"/> and the plaintext is served as HTTP/1.1 (<see cref="Router"/>) or pumped as TCP
/// (<see cref="TcpRouter"/>).
/// </summary>
public sealed class TlsFilterChain
{
    /// <summary>Name for logs and stats, e.g. Istio's <c>https.443.https-bookinfo.bookinfo-gateway.default</c>.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// Exact names (<c>www.example.com</c>) or left-most wildcards (<c>*.example.com</c>, which does not match
    /// <c>example.com</c>), compared case-insensitively; <c>*</c> or an empty list matches any SNI and no SNI.
    /// </summary>
    public IReadOnlyList<string> ServerNames { get; init; } = [];

    /// <summary>Terminate with these settings; null passes the TLS stream through.</summary>
    public TlsServerSettings? Termination { get; init; }

    /// <summary>Routes the decrypted HTTP/1.1 requests (only with <see cref="Termination"/>).</summary>
    public IHttpRouter? Router { get; init; }

    /// <summary>Picks the cluster for the connection: by SNI for passthrough, or the plaintext after termination.</summary>
    public ITcpRouter? TcpRouter { get; init; }

    internal void Validate(string listener)
    {
        if ((Router is null) == (TcpRouter is null))
        {
            throw new ArgumentException($"Listener {listener} chain {Name}: exactly one of Router or TcpRouter must be set.");
        }

        if (Termination is null && Router is not null)
        {
            throw new ArgumentException($"Listener {listener} chain {Name}: a passthrough chain cannot route HTTP; set Termination or use TcpRouter.");
        }
    }
}
