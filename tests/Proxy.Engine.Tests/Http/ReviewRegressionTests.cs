using System.Collections.Concurrent;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http;

/// <summary>Defects found in review, each pinned by the exchange that showed it.</summary>
public sealed class ReviewRegressionTests
{
    [Fact]
    public async Task ZeroContentLengthResponse_ReachesKeepAliveClient()
    {
        await using var backend = new TestBackend(_ => BackendReply.Raw("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"));
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            var response = await client.ReadResponseAsync();
            Assert.Equal(201, response.Status);
            Assert.Equal("0", response.Header("content-length"));
        }
    }

    [Fact]
    public async Task CloseDelimitedBodyCutByReset_IsNotPresentedAsComplete()
    {
        await using var backend = new TestBackend(_ => new BackendReply("HTTP/1.1 200 OK\r\n\r\npartial"u8.ToArray(), ResetAfter: true));
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");

        // The chunked body must not end with the last chunk: the connection breaks instead.
        await Assert.ThrowsAnyAsync<IOException>(() => client.ReadResponseAsync());
    }

    [Fact]
    public async Task InterimResponseThenClose_IsNotReplayed()
    {
        var perConnection = new ConcurrentDictionary<int, int>();
        await using var backend = new TestBackend(r =>
            perConnection.AddOrUpdate(r.ConnectionId, 1, (_, n) => n + 1) == 1
                ? BackendReply.Ok("first")
                : BackendReply.Raw("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n", closeAfter: true));
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await client.SendAsync("DELETE /2 HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(103, (await client.ReadResponseAsync()).Status);
        Assert.Equal(503, (await client.ReadResponseAsync()).Status);

        Assert.Single(backend.Requests, r => r.Target == "/2");
    }

    [Fact]
    public async Task RequestAbortedByStopDeadline_IsNotReplayed()
    {
        using var gate = new ManualResetEventSlim();
        await using var backend = new TestBackend(r =>
        {
            if (r.Target == "/2")
            {
                gate.Wait(TestTimeouts.Default);
            }

            return BackendReply.Ok("ok");
        });
        var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();
        await client.SendAsync("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        await client.SendAsync("DELETE /2 HTTP/1.1\r\nHost: a\r\n\r\n");
        await FailureTests.PollAsync(() => backend.Requests.Any(r => r.Target == "/2"));
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await proxy.Server.StopAsync(deadline.Token).WaitAsync(TestTimeouts.Default);
        gate.Set();

        Assert.Single(backend.Requests, r => r.Target == "/2");
        Assert.Equal(1, backend.ConnectionCount);
    }

    [Fact]
    public async Task RetriedRequest_KeepsItsGeneratedRequestId()
    {
        await using var backend = new TestBackend(TestBackend.FirstRequestPerConnectionOnly(BackendReply.Ok("fresh")));
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
        await client.ReadResponseAsync();
        await client.SendAsync("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        var attempts = backend.Requests.Where(r => r.Target == "/2").Select(r => r.Header("x-request-id")).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Equal(attempts[0], attempts[1]);
    }

    [Fact]
    public async Task Connect_GetsNoRouteAndClose()
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(404, response.Status);
        Assert.True(await client.IsClosedByPeerAsync());
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task AbsoluteFormOptionsWithoutPath_IsForwardedAsAsterisk()
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("OPTIONS http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n");
        await client.ReadResponseAsync();

        var seen = Assert.Single(backend.Requests);
        Assert.Equal("*", seen.Target);
        Assert.Equal("example.com", seen.Header("host"));
    }
}
