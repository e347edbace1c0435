using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http.Timeouts;

/// <summary>
/// The route timeout (Istio VirtualService http[].timeout, Envoy route timeout): from the end of the downstream request
/// until the upstream response is complete, enforced by the heartbeat on a FakeTimeProvider.
/// </summary>
public sealed class RouteTimeoutTests
{
    private static Task<ProxyFixture> StartAsync(ClusterConfig cluster, TimeSpan? timeout, TimeProvider time)
        => ProxyFixture.StartAsync(
            new TableRouter().Add("*", "/", new HttpRoute("default", [new WeightedCluster(cluster, 100)]) { Timeout = timeout }),
            [cluster],
            new ProxyServerOptions { TimeProvider = time });

    private static Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> condition)
        => FailureTests.PollAsync(() =>
        {
            if (condition())
            {
                return true;
            }

            time.Advance(TimeSpan.FromSeconds(1));
            return false;
        });

    [Fact]
    public async Task SilentUpstream_TimeoutExpires_Answers504AndAbortsUpstream()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var silent = new SilentBackend();
        await using var proxy = await StartAsync(ProxyFixture.Cluster("s", silent.EndPoint), TimeSpan.FromSeconds(5), time);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        await FailureTests.PollAsync(() => silent.BytesReceived > 0);
        await AdvanceUntilAsync(time, () => proxy.Server.Statistics.RouteTimeouts == 1);

        // Envoy router: on the global timeout, 504 with body "upstream request timeout" and flag UT (router.cc
        // onResponseTimeout); the upstream request is reset, so its connection is not reused.
        var response = await client.ReadResponseAsync();
        Assert.Equal(504, response.Status);
        Assert.Equal("upstream request timeout", response.BodyText);
        await FailureTests.PollAsync(() => silent.OpenConnections == 0);

        // The client's connection survives (its request was complete) and the next request gets its own deadline.
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        await FailureTests.PollAsync(() => silent.ConnectionCount == 2);
        await AdvanceUntilAsync(time, () => proxy.Server.Statistics.RouteTimeouts == 2);
        Assert.Equal(504, (await client.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task PostBody_TimerStartsAfterBody()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var silent = new SilentBackend();
        await using var proxy = await StartAsync(ProxyFixture.Cluster("s", silent.EndPoint), TimeSpan.FromSeconds(5), time);
        await using var client = await proxy.ConnectAsync();

        // Envoy: the timeout spans from "the entire downstream request has been processed" (route_components.proto).
        await client.SendAsync("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12345");
        await FailureTests.PollAsync(() => silent.BytesReceived > 0);
        for (var i = 0; i < 20; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(0, proxy.Server.Statistics.RouteTimeouts);

        await client.SendAsync("67890");
        await AdvanceUntilAsync(time, () => proxy.Server.Statistics.RouteTimeouts == 1);
        Assert.Equal(504, (await client.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task ResponseStarted_TimeoutExpires_ClosesClientConnection()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var upstreamClosed = 0;
        await using var backend = new LoopbackServer(async (socket, _, stopping) =>
        {
            try
            {
                var buffer = new byte[4096];
                await socket.ReceiveAsync(buffer, SocketFlags.None, stopping);
                await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello"), SocketFlags.None, stopping);
                while (await socket.ReceiveAsync(buffer, SocketFlags.None, stopping) > 0)
                {
                }

                Interlocked.Exchange(ref upstreamClosed, 1);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                Interlocked.Exchange(ref upstreamClosed, 1);
            }
            finally
            {
                socket.Dispose();
            }
        });
        await using var proxy = await StartAsync(ProxyFixture.Cluster("b", backend.EndPoint), TimeSpan.FromSeconds(5), time);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var head = await client.Reader.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 200", head);
        Assert.Equal("hello", Encoding.ASCII.GetString(await client.Reader.ReadExactlyAsync(5)));

        // Envoy: after response bytes went downstream the timeout can only reset the stream (the client connection).
        await AdvanceUntilAsync(time, () => proxy.Server.Statistics.RouteTimeouts == 1);
        await FailureTests.PollAsync(() => Volatile.Read(ref upstreamClosed) == 1);
        await FailureTests.PollAsync(() => proxy.Server.ConnectionCount == 0);
    }

    [Fact]
    public async Task FastUpstream_WithinTimeout_ConnectionReused()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var backend = new TestBackend();
        var cluster = ProxyFixture.Cluster("b", backend.EndPoint);
        await using var proxy = await StartAsync(cluster, TimeSpan.FromSeconds(5), time);
        await using var client = await proxy.ConnectAsync();
        var pool = cluster.State!.Endpoints[0].Pool;

        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);

            // The exchange ends (timer stopped, connection pooled) just after the client has the response: wait for
            // it, or the advance below could land first and (rightly) keep the connection out of the pool.
            await FailureTests.PollAsync(() => pool.IdleCount == 1);
            time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.Equal(0, proxy.Server.Statistics.RouteTimeouts);
        Assert.Equal(1, backend.ConnectionCount);
    }

    [Fact]
    public async Task NoTimeout_IstioDefault_WaitsForSlowUpstream()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var silent = new SilentBackend();
        await using var silentGuard = new DisposeOnce(silent);
        await using var proxy = await StartAsync(ProxyFixture.Cluster("s", silent.EndPoint), timeout: null, time);
        await using var client = await proxy.ConnectAsync();

        // Istio disables the route timeout by default (VirtualService docs: "timeout ... default disabled").
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        await FailureTests.PollAsync(() => silent.BytesReceived > 0);
        for (var i = 0; i < 120; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(0, proxy.Server.Statistics.RouteTimeouts);
        Assert.Equal(1, silent.OpenConnections);

        // End the exchange so the server's stop need not wait for it.
        await silentGuard.DisposeAsync();
        Assert.Equal(503, (await client.ReadResponseAsync()).Status);
    }
}
