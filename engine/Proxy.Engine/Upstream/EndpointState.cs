using System.Net;
using Proxy.Engine.Config;

namespace Proxy.Engine.Upstream;

/// <summary>Live state of one upstream endpoint: its connection pool and load counters.</summary>
internal sealed class EndpointState
{
    private readonly EndPoint? _literal;
    private int _activeRequests;
    private int _dnsCursor;

    public EndpointState(EndpointConfig config)
    {
        Config = config;
        _literal = UpstreamConnectionPool.ParseLiteral(config.Address, config.Port);
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
    /// The address to connect to. IP literals are parsed once; DNS names (ServiceEntry resolution DNS) are resolved
    /// on each new connection and rotated across the answers, so a changed record is picked up by the next connect.
    /// </summary>
    public async ValueTask<EndPoint?> ResolveAsync(CancellationToken cancellationToken)
    {
        if (_literal is not null)
        {
            return _literal;
        }

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(Config.Address, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException)
        {
            return null;
        }

        if (addresses.Length == 0)
        {
            return null;
        }

        var index = (int)((uint)Interlocked.Increment(ref _dnsCursor) % (uint)addresses.Length);
        return new IPEndPoint(addresses[index], Config.Port);
    }

    public override string ToString() => $"{Config.Address}:{Config.Port}";
}
