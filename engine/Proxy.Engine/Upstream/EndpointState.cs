using System.Net;
using Proxy.Engine.Config;

namespace Proxy.Engine.Upstream;

/// <summary>Live state of one upstream endpoint: its connection pool and load counters.</summary>
internal sealed class EndpointState
{
    private int _activeRequests;

    public EndpointState(EndpointConfig config)
    {
        Config = config;
        ConnectEndPoint = IPAddress.TryParse(config.Address, out var ip) ? new IPEndPoint(ip, config.Port) : new DnsEndPoint(config.Address, config.Port);
        Pool = new UpstreamConnectionPool(this);
        Authority = System.Text.Encoding.ASCII.GetBytes(
            config.Address.Contains(':', StringComparison.Ordinal) ? $"[{config.Address}]:{config.Port}" : $"{config.Address}:{config.Port}");
    }

    /// <summary><c>host:port</c> of the endpoint, for a Host field when the client sent none (HTTP/1.0).</summary>
    public byte[] Authority { get; }

    public EndpointConfig Config { get; }

    public UpstreamConnectionPool Pool { get; }

    /// <summary>Requests in flight to this endpoint (LEAST_REQUEST's load measure).</summary>
    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    public void OnRequestStarted() => Interlocked.Increment(ref _activeRequests);

    public void OnRequestFinished() => Interlocked.Decrement(ref _activeRequests);

    /// <summary>
    /// The address to connect to. IP literals are parsed once. DNS names (ServiceEntry resolution DNS) are resolved by
    /// the connect itself on each new connection, trying every address the name resolves to in order (so
    /// <c>localhost</c> reaches a backend on 127.0.0.1 or ::1), and a changed record is picked up by the next connect.
    /// </summary>
    public EndPoint ConnectEndPoint { get; }

    public override string ToString() => $"{Config.Address}:{Config.Port}";
}
