using System.Net;
using Proxy.Engine.Config;

namespace Proxy.Engine.Tests.Infrastructure;

/// <summary>A ProxyServer on 127.0.0.1:0 with one listener of any kind, for TLS and L4 tests.</summary>
public sealed class TlsProxyFixture : IAsyncDisposable
{
    private TlsProxyFixture(ProxyServer server, IPEndPoint endPoint)
    {
        Server = server;
        EndPoint = endPoint;
    }

    public ProxyServer Server { get; }

    public IPEndPoint EndPoint { get; }

    public ProxyStatistics Statistics => Server.Statistics;

    public static async Task<TlsProxyFixture> StartAsync(
        Func<IPEndPoint, ListenerConfig> listener, IReadOnlyList<ClusterConfig> clusters, ProxyServerOptions? options = null)
    {
        var server = new ProxyServer(options);
        await server.StartAsync(new ProxyConfig
        {
            Listeners = [listener(new IPEndPoint(IPAddress.Loopback, 0))],
            Clusters = clusters,
        });
        return new TlsProxyFixture(server, server.GetBoundEndPoint(server.Config!.Listeners[0].Name)!);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Default);
        await Server.StopAsync(cts.Token);
    }
}

/// <summary>A credential source tests can swap, as a certificate file reload would.</summary>
public sealed class SwappableCredentials(TlsCredentials initial) : ITlsCredentialSource
{
    private TlsCredentials _current = initial;

    public TlsCredentials GetCredentials() => Volatile.Read(ref _current);

    public void Swap(TlsCredentials next) => Volatile.Write(ref _current, next);
}
