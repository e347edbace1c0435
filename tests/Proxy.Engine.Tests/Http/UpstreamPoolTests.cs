using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http;

/// <summary>Upstream keep-alive: reuse, idle timeout, closed idle connections, the keep-alive race.</summary>
public sealed class UpstreamPoolTests
{
    [Fact]
    public async Task ReusedConnectionClosedByUpstreamBeforeResponse_IsRetriedOnFreshConnection()
    {
        await using var backend = new TestBackend(TestBackend.FirstRequestPerConnectionOnly(BackendReply.Ok("fresh")));
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            var response = await client.ReadResponseAsync();
            Assert.Equal(200, response.Status);
            Assert.Equal("fresh", response.BodyText);
        }

        Assert.Equal(3, backend.ConnectionCount);
    }

    [Fact]
    public async Task PostWithConsumedBody_IsNotReplayedOnStaleConnection()
    {
        await using var backend = new TestBackend(TestBackend.FirstRequestPerConnectionOnly(BackendReply.Ok("fresh")));
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await client.SendAsync("POST /pay HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n$10");
        var response = await client.ReadResponseAsync();

        Assert.Equal(503, response.Status);
        Assert.Single(backend.Requests, r => r.Target == "/pay");
    }

    [Fact]
    public async Task IdleConnectionClosedByUpstream_IsNeverUsed()
    {
        await using var backend = new TestBackend(_ => BackendReply.Raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", closeAfter: true));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cluster = ProxyFixture.Cluster("b", backend.EndPoint);
        await using var proxy = await ProxyFixture.StartAsync(cluster, new ProxyServerOptions { TimeProvider = time });
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        var pool = cluster.State!.Endpoints[0].Pool;
        await FailureTests.PollAsync(() => backend.OpenConnections == 0);

        // The heartbeat notices the FIN and drops the connection from the pool.
        await FailureTests.PollAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return pool.IdleCount == 0;
        });

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        Assert.Equal(2, backend.ConnectionCount);
    }

    [Fact]
    public async Task IdleTimeout_ClosesPooledConnection()
    {
        await using var backend = new TestBackend();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cluster = new ClusterConfig
        {
            Name = "b",
            Endpoints = [new EndpointConfig("127.0.0.1", backend.Port)],
            IdleTimeout = TimeSpan.FromSeconds(30),
        };
        await using var proxy = await ProxyFixture.StartAsync(cluster, new ProxyServerOptions { TimeProvider = time });
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        await client.ReadResponseAsync();
        var pool = cluster.State!.Endpoints[0].Pool;

        // The connection goes back to the pool just after the response reached the client: wait for it.
        await FailureTests.PollAsync(() => pool.IdleCount == 1);

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(1, pool.IdleCount);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, pool.IdleCount);
        await FailureTests.PollAsync(() => backend.OpenConnections == 0);

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        Assert.Equal(2, backend.ConnectionCount);
    }

    [Fact]
    public async Task InfiniteIdleTimeout_KeepsPooledConnection()
    {
        // Istio: connectionPool idleTimeout 0s disables the timeout; the Istio module compiles it to infinite.
        await using var backend = new TestBackend();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cluster = new ClusterConfig
        {
            Name = "b",
            Endpoints = [new EndpointConfig("127.0.0.1", backend.Port)],
            IdleTimeout = Timeout.InfiniteTimeSpan,
        };
        await using var proxy = await ProxyFixture.StartAsync(cluster, new ProxyServerOptions { TimeProvider = time });
        await using var client = await proxy.ConnectAsync();

        var pool = cluster.State!.Endpoints[0].Pool;
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        await client.ReadResponseAsync();
        await FailureTests.PollAsync(() => pool.IdleCount == 1);
        time.Advance(TimeSpan.FromDays(2));

        // The downstream connection's own idle timeout (1 h) has closed it by now: ask on a new one.
        await using var second = await proxy.ConnectAsync();
        await second.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        await second.ReadResponseAsync();

        await FailureTests.PollAsync(() => pool.IdleCount == 1);
        Assert.Equal(1, backend.ConnectionCount);
    }

    [Fact]
    public async Task ConnectTimeout_Answers503ConnectFailure()
    {
        // A listener whose accept queue is full drops further SYNs (Linux, tcp_abort_on_overflow=0), so a connect to
        // it hangs: the connect timeout, on the fake clock, must end it.
        using var blackhole = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        blackhole.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        blackhole.Listen(0);
        var fillers = new List<System.Net.Sockets.Socket>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var filler = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { Blocking = false };
                fillers.Add(filler);
                try
                {
                    filler.Connect(blackhole.LocalEndPoint!);
                }
                catch (System.Net.Sockets.SocketException)
                {
                }
            }

            var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
            var cluster = ProxyFixture.Cluster("hang", (System.Net.IPEndPoint)blackhole.LocalEndPoint!);
            await using var proxy = await ProxyFixture.StartAsync(cluster, new ProxyServerOptions { TimeProvider = time });
            await using var client = await proxy.ConnectAsync();

            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            var response = client.ReadResponseAsync();
            var deadline = DateTime.UtcNow + TestTimeouts.Default;
            while (!response.IsCompleted && DateTime.UtcNow < deadline)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(20);
            }

            var result = await response;
            Assert.Equal(503, result.Status);
            Assert.Contains("connection failure", result.BodyText, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var filler in fillers)
            {
                filler.Dispose();
            }
        }
    }

    [Fact]
    public async Task DnsEndpoint_IsResolvedOnConnect()
    {
        await using var backend = new TestBackend();
        var cluster = new ClusterConfig { Name = "dns", Endpoints = [new EndpointConfig("localhost", backend.Port)] };
        await using var proxy = await ProxyFixture.StartAsync(cluster);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /dns HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("GET /dns", response.BodyText);
    }

    [Fact]
    public async Task ConcurrentClients_ShareAndReuseUpstreamConnections()
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));

        var clients = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => proxy.ConnectAsync()));
        for (var round = 0; round < 20; round++)
        {
            await Task.WhenAll(clients.Select(async (c, i) =>
            {
                await c.SendAsync($"GET /{i} HTTP/1.1\r\nHost: a\r\n\r\n");
                Assert.Equal($"GET /{i}", (await c.ReadResponseAsync()).BodyText);
            }));
        }

        foreach (var c in clients)
        {
            await c.DisposeAsync();
        }

        Assert.Equal(160, backend.Requests.Count);
        Assert.InRange(backend.ConnectionCount, 1, 8);
    }
}
