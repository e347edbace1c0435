using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http;

/// <summary>Connection: close, and a graceful stop with a request in flight.</summary>
public sealed class ConnectionLifetimeTests
{
    [Fact]
    public async Task ConnectionClose_FromHttp11Client_ClosesAfterResponseButKeepsUpstream()
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using (var client = await proxy.ConnectAsync())
        {
            await client.SendAsync("GET /bye HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            var response = await client.ReadResponseAsync();

            Assert.Equal(200, response.Status);
            Assert.Equal("close", response.Header("connection"));
            Assert.True(await client.IsClosedByPeerAsync());
        }

        // The client's Connection: close is hop-by-hop: the upstream connection was kept for reuse.
        Assert.Null(Assert.Single(backend.Requests).Header("connection"));
        await using var second = await proxy.ConnectAsync();
        await second.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await second.ReadResponseAsync()).Status);
        Assert.Equal(1, backend.ConnectionCount);
    }

    [Fact]
    public async Task Stop_LetsInFlightRequestFinishWithConnectionClose()
    {
        using var gate = new ManualResetEventSlim();
        await using var backend = new TestBackend(r =>
        {
            gate.Wait(TestTimeouts.Default);
            return BackendReply.Ok("done");
        });
        var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();
        await using var idle = await proxy.ConnectAsync();

        await client.SendAsync("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
        await FailureTests.PollAsync(() => !backend.Requests.IsEmpty);
        using var deadline = new CancellationTokenSource(TestTimeouts.Default);
        var stop = proxy.Server.StopAsync(deadline.Token);

        // The idle keep-alive connection is closed at once; the busy one finishes its request first. Both have been
        // told to drain before the response is released (the stop tells them one after the other).
        Assert.True(await idle.IsClosedByPeerAsync());
        await FailureTests.PollAsync(() => proxy.Server.DrainSent);
        Assert.False(stop.IsCompleted);
        gate.Set();
        var response = await client.ReadResponseAsync();
        await stop.WaitAsync(TestTimeouts.Default);

        Assert.Equal("done", response.BodyText);
        Assert.Equal("close", response.Header("connection"));
        Assert.True(await client.IsClosedByPeerAsync());
        Assert.False(deadline.IsCancellationRequested);
    }
}
