using System.Net;
using Proxy.Engine.Config;

namespace Proxy.Engine.Upstream;

/// <summary>Live state of one upstream endpoint: its connection pool and load counters.</summary>
internal sealed partial class EndpointState
{
    private int _activeRequests;

    /// <param name="config">The endpoint.</param>
    /// <param name="warmupStarted">When the endpoint joined a running cluster (a <see cref="TimeProvider"/> timestamp),
    /// or null when it was there when the cluster was created.</param>
    public EndpointState(EndpointConfig config, long? warmupStarted = null)
    {
        Config = config;
        WarmupStarted = warmupStarted;

        // Envoy requires endpoint weights of at least 1; Istio turns an unset (0) weight into 1.
        Weight = Math.Max(config.Weight, 1);
        ConnectEndPoint = IPAddress.TryParse(config.Address, out var ip) ? new IPEndPoint(ip, config.Port) : new DnsEndPoint(config.Address, config.Port);
        Pool = new UpstreamConnectionPool(this);
        Authority = System.Text.Encoding.ASCII.GetBytes(
            config.Address.Contains(':', StringComparison.Ordinal) ? $"[{config.Address}]:{config.Port}" : $"{config.Address}:{config.Port}");
    }

    /// <summary><c>host:port</c> of the endpoint (<c>[v6]:port</c>), for a Host field when the client sent none
    /// (HTTP/1.0), and the key hash load balancers hash the endpoint by (Envoy's address string).</summary>
    public byte[] Authority { get; }

    public EndpointConfig Config { get; }

    /// <summary>The load-balancing weight, at least 1.</summary>
    public int Weight { get; }

    /// <summary>When the endpoint joined a running cluster (slow start counts from here), or null when it has been
    /// there since the cluster was created.</summary>
    public long? WarmupStarted { get; }

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
