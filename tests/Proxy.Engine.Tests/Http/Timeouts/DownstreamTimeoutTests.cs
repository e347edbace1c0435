using System.Net;
using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http.Timeouts;

/// <summary>
/// The listener's downstream timeouts, driven by the server's heartbeat on a FakeTimeProvider: the request-headers
/// timeout (Envoy HCM request_headers_timeout) and the keep-alive idle timeout (Envoy HCM idle_timeout).
/// </summary>
public sealed class DownstreamTimeoutTests
{
    private static async Task<(ProxyServer Server, IPEndPoint EndPoint)> StartAsync(
        TestBackend backend, FakeTimeProvider time, TimeSpan? requestHeadersTimeout = null, TimeSpan? idleTimeout = null)
    {
        var cluster = ProxyFixture.Cluster("b", backend.EndPoint);
        var router = new TableRouter().Add("*", "/", new HttpRoute("default", [new WeightedCluster(cluster, 100)]));
        var defaults = new ListenerConfig { Name = "d", EndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
        var listener = new ListenerConfig
        {
            Name = "test",
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Router = router,
            RequestHeadersTimeout = requestHeadersTimeout ?? defaults.RequestHeadersTimeout,
            IdleTimeout = idleTimeout ?? defaults.IdleTimeout,
        };
        var server = new ProxyServer(new ProxyServerOptions { TimeProvider = time });
        await server.StartAsync(new ProxyConfig { Listeners = [listener], Clusters = [cluster] });
        return (server, server.GetBoundEndPoint("test")!);
    }

    private static async Task StopAsync(ProxyServer server)
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Default);
        await server.StopAsync(cts.Token);
    }

    /// <summary>Advances fake time a step per poll until the condition holds: the proxy may read the client's bytes
    /// at any point, so the test cannot know when the deadline started without waiting for it.</summary>
    private static Task AdvanceUntilAsync(FakeTimeProvider time, TimeSpan step, Func<bool> condition)
        => FailureTests.PollAsync(() =>
        {
            if (condition())
            {
                return true;
            }

            time.Advance(step);
            return false;
        });

    [Fact]
    public void ListenerConfig_Defaults_SixtySecondHeadersOneHourIdle()
    {
        // Envoy HCM idle_timeout defaults to 1 h (docs/root/faq/configuration/timeouts.rst); request_headers_timeout
        // is off in Envoy, 60 s here so an edge gateway is not held by slowloris clients.
        var listener = new ListenerConfig { Name = "x", EndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
        Assert.Equal(TimeSpan.FromSeconds(60), listener.RequestHeadersTimeout);
        Assert.Equal(TimeSpan.FromHours(1), listener.IdleTimeout);
    }

    [Fact]
    public async Task PartialHead_RequestHeadersTimeout_Answers408AndCloses()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var backend = new TestBackend();
        var (server, endPoint) = await StartAsync(backend, time);
        try
        {
            await using var client = await TestClient.ConnectAsync(endPoint);
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ");

            await AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), () => server.Statistics.RequestHeaderTimeouts == 1);

            // Envoy: onRequestHeaderTimeout sends 408 with body "request header timeout" (conn_manager_impl.cc).
            var response = await client.ReadResponseAsync();
            Assert.Equal(408, response.Status);
            Assert.Equal("request header timeout", response.BodyText);
            Assert.True(await client.IsClosedByPeerAsync());
            Assert.Equal(0, server.Statistics.HttpIdleTimeoutCount);
            Assert.Empty(backend.Requests);
        }
        finally
        {
            await StopAsync(server);
        }
    }

    [Fact]
    public async Task PartialHead_BeforeTimeout_CompletesNormally()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var backend = new TestBackend();
        var (server, endPoint) = await StartAsync(backend, time, requestHeadersTimeout: TimeSpan.FromSeconds(10));
        try
        {
            await using var client = await TestClient.ConnectAsync(endPoint);
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n");
            time.Advance(TimeSpan.FromSeconds(5));
            await client.SendAsync("\r\n");

            var response = await client.ReadResponseAsync();
            Assert.Equal(200, response.Status);

            // The deadline belongs to the head just served: a later heartbeat must not touch the idle connection.
            time.Advance(TimeSpan.FromSeconds(30));
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
            Assert.Equal(0, server.Statistics.RequestHeaderTimeouts);
        }
        finally
        {
            await StopAsync(server);
        }
    }

    [Fact]
    public async Task KeepAliveConnection_IdlePastTimeout_ClosedWithoutReply()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var backend = new TestBackend();
        var (server, endPoint) = await StartAsync(backend, time, idleTimeout: TimeSpan.FromSeconds(30));
        try
        {
            await using var client = await TestClient.ConnectAsync(endPoint);
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);

            // Envoy: the idle timeout closes a downstream connection with no active request (timeouts.rst).
            await AdvanceUntilAsync(time, TimeSpan.FromSeconds(5), () => server.Statistics.HttpIdleTimeoutCount == 1);
            Assert.True(await client.IsClosedByPeerAsync());
            Assert.Equal(0, server.Statistics.RequestHeaderTimeouts);
            await FailureTests.PollAsync(() => server.ConnectionCount == 0);
        }
        finally
        {
            await StopAsync(server);
        }
    }

    [Fact]
    public async Task NewConnection_NoBytes_ClosedByIdleTimeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var backend = new TestBackend();
        var (server, endPoint) = await StartAsync(backend, time, idleTimeout: TimeSpan.FromSeconds(30));
        try
        {
            await using var client = await TestClient.ConnectAsync(endPoint);
            await AdvanceUntilAsync(time, TimeSpan.FromSeconds(5), () => server.Statistics.HttpIdleTimeoutCount == 1);
            Assert.True(await client.IsClosedByPeerAsync());
        }
        finally
        {
            await StopAsync(server);
        }
    }

    [Fact]
    public async Task ActiveRequest_NotClosedByIdleTimeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var silent = new SilentBackend();
        await using var silentGuard = new DisposeOnce(silent);
        var cluster = ProxyFixture.Cluster("s", silent.EndPoint);
        var listener = new ListenerConfig
        {
            Name = "test",
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Router = new TableRouter().Add("*", "/", new HttpRoute("default", [new WeightedCluster(cluster, 100)])),
            IdleTimeout = TimeSpan.FromSeconds(10),
            RequestHeadersTimeout = TimeSpan.FromSeconds(10),
        };
        var server = new ProxyServer(new ProxyServerOptions { TimeProvider = time });
        await server.StartAsync(new ProxyConfig { Listeners = [listener], Clusters = [cluster] });
        try
        {
            await using var client = await TestClient.ConnectAsync(server.GetBoundEndPoint("test")!);
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            await FailureTests.PollAsync(() => silent.BytesReceived > 0);

            // Both downstream timeouts cover only the wait for a request head; a request in flight is the route
            // timeout's business (none here, as Istio's default).
            for (var i = 0; i < 60; i++)
            {
                time.Advance(TimeSpan.FromSeconds(1));
            }

            Assert.Equal(0, server.Statistics.HttpIdleTimeoutCount);
            Assert.Equal(0, server.Statistics.RequestHeaderTimeouts);
            Assert.Equal(1, silent.OpenConnections);

            // End the exchange so the server's stop need not wait for it.
            await silentGuard.DisposeAsync();
            Assert.Equal(503, (await client.ReadResponseAsync()).Status);
        }
        finally
        {
            await StopAsync(server);
        }
    }
}
