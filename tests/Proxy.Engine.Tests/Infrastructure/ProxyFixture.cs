using System.Net;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;

namespace Proxy.Engine.Tests.Infrastructure;

/// <summary>A ProxyServer on 127.0.0.1:0 with one listener and the given router.</summary>
public sealed class ProxyFixture : IAsyncDisposable
{
    private ProxyFixture(ProxyServer server, IPEndPoint endPoint)
    {
        Server = server;
        EndPoint = endPoint;
    }

    public ProxyServer Server { get; }

    public IPEndPoint EndPoint { get; }

    public static ClusterConfig Cluster(string name, params IPEndPoint[] endpoints) => new()
    {
        Name = name,
        Endpoints = [.. endpoints.Select(e => new EndpointConfig(e.Address.ToString(), e.Port))],
    };

    /// <summary>Everything on any host goes to <paramref name="cluster"/>.</summary>
    public static Task<ProxyFixture> StartAsync(ClusterConfig cluster, ProxyServerOptions? options = null)
        => StartAsync(new TableRouter().Add("*", "/", new HttpRoute("default", [new WeightedCluster(cluster, 100)])), [cluster], options);

    public static async Task<ProxyFixture> StartAsync(IHttpRouter router, IReadOnlyList<ClusterConfig> clusters, ProxyServerOptions? options = null)
    {
        var server = new ProxyServer(options);
        var config = new ProxyConfig
        {
            Listeners = [new ListenerConfig { Name = "test", EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Router = router }],
            Clusters = clusters,
        };
        await server.StartAsync(config);
        return new ProxyFixture(server, server.GetBoundEndPoint("test")!);
    }

    public Task<TestClient> ConnectAsync() => TestClient.ConnectAsync(EndPoint);

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Default);
        await Server.StopAsync(cts.Token);
    }
}
