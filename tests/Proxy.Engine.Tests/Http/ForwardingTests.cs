using System.Text;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http;

/// <summary>Client -> proxy -> backend over real loopback sockets.</summary>
public sealed class ForwardingTests
{
    [Fact]
    public async Task Get_IsForwardedWithForwardingHeadersAndWithoutHopByHop()
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(
            "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nConnection: keep-alive, X-Hop\r\nX-Hop: secret\r\n" +
            "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nX-Forwarded-For: 10.0.0.1\r\nX-Custom: kept\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("GET /a/b?x=1", response.BodyText);
        var seen = Assert.Single(backend.Requests);
        Assert.Equal("HTTP/1.1", seen.Version);
        Assert.Equal("example.com:8080", seen.Header("host"));
        Assert.Equal("kept", seen.Header("x-custom"));
        Assert.Equal("10.0.0.1, 127.0.0.1", seen.Header("x-forwarded-for"));
        Assert.Equal("http", seen.Header("x-forwarded-proto"));
        Assert.True(Guid.TryParse(seen.Header("x-request-id"), out _));
        Assert.Null(seen.Header("x-hop"));
        Assert.Null(seen.Header("connection"));
        Assert.Null(seen.Header("keep-alive"));
        Assert.Null(seen.Header("proxy-connection"));
        Assert.Null(seen.Header("te"));
    }

    [Fact]
    public async Task RequestId_WhenPresent_IsKept()
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\nx-request-id: abc-123\r\n\r\n");
        await client.ReadResponseAsync();

        var seen = Assert.Single(backend.Requests);
        Assert.Equal("abc-123", seen.Header("x-request-id"));
        Assert.Equal(1, seen.HeaderCount("x-request-id"));
    }

    [Fact]
    public async Task KeepAlive_ReusesDownstreamAndUpstreamConnections()
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        for (var i = 0; i < 5; i++)
        {
            await client.SendAsync($"GET /{i} HTTP/1.1\r\nHost: a\r\n\r\n");
            var response = await client.ReadResponseAsync();
            Assert.Equal($"GET /{i}", response.BodyText);
            Assert.Null(response.Header("connection"));
        }

        Assert.Equal(1, backend.ConnectionCount);
        Assert.Equal(5, backend.Requests.Count);
    }

    [Fact]
    public async Task Pipelining_AnswersInOrder()
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        var batch = new StringBuilder();
        for (var i = 0; i < 10; i++)
        {
            batch.Append($"GET /p{i} HTTP/1.1\r\nHost: a\r\n\r\n");
        }

        batch.Append("POST /post HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
        batch.Append("GET /last HTTP/1.1\r\nHost: a\r\n\r\n");
        await client.SendAsync(batch.ToString());

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal($"GET /p{i}", (await client.ReadResponseAsync()).BodyText);
        }

        Assert.Equal("POST /post", (await client.ReadResponseAsync()).BodyText);
        Assert.Equal("GET /last", (await client.ReadResponseAsync()).BodyText);
        Assert.Equal("hello", Encoding.ASCII.GetString(backend.Requests.Single(r => r.Target == "/post").Body));
    }

    [Fact]
    public async Task RequestSentOneByteAtATime_IsForwarded()
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        foreach (var b in Encoding.ASCII.GetBytes("POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"))
        {
            await client.SendAsync([b]);
        }

        Assert.Equal("POST /slow", (await client.ReadResponseAsync()).BodyText);
        Assert.Equal("abc", Encoding.ASCII.GetString(Assert.Single(backend.Requests).Body));
    }

    [Fact]
    public async Task ChunkedRequest_IsForwardedChunked()
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        var seen = Assert.Single(backend.Requests);
        Assert.Equal("chunked", seen.Header("transfer-encoding"));
        Assert.Equal("hello world", Encoding.ASCII.GetString(seen.Body));
    }

    [Fact]
    public async Task ChunkedResponse_IsForwardedChunkedToHttp11Client()
    {
        await using var backend = new TestBackend(_ => BackendReply.Raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal("chunked", response.Header("transfer-encoding"));
        Assert.Equal("abcde", response.BodyText);

        // The upstream connection is reused: the chunked body ended cleanly.
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal("abcde", (await client.ReadResponseAsync()).BodyText);
        Assert.Equal(1, backend.ConnectionCount);
    }

    [Fact]
    public async Task CloseDelimitedResponse_IsRechunkedForHttp11Client()
    {
        await using var backend = new TestBackend(_ => BackendReply.Raw("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close", closeAfter: true));
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal("chunked", response.Header("transfer-encoding"));
        Assert.Equal("until close", response.BodyText);

        // The downstream connection stays usable.
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal("until close", (await client.ReadResponseAsync()).BodyText);
        Assert.Equal(2, backend.ConnectionCount);
    }

    [Fact]
    public async Task Http10Client_GetsCloseDelimitedBodyAndClose()
    {
        await using var backend = new TestBackend(_ => BackendReply.Raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /old HTTP/1.0\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Null(response.Header("transfer-encoding"));
        Assert.Equal("close", response.Header("connection"));
        Assert.Equal("abc", response.BodyText);
        var seen = Assert.Single(backend.Requests);
        Assert.Equal("HTTP/1.1", seen.Version);
        Assert.Equal(backend.EndPoint.ToString(), seen.Header("host"));
    }

    [Fact]
    public async Task Http10KeepAliveClient_KeepsConnectionWithContentLength()
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /one HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n");
        var first = await client.ReadResponseAsync();
        Assert.Equal("keep-alive", first.Header("connection"));
        await client.SendAsync("GET /two HTTP/1.0\r\nHost: a\r\n\r\n");
        var second = await client.ReadResponseAsync();
        Assert.Equal("GET /two", second.BodyText);
        Assert.Equal("close", second.Header("connection"));
        Assert.True(await client.IsClosedByPeerAsync());
    }

    [Theory]
    [InlineData("HEAD", 200)]
    [InlineData("GET", 204)]
    [InlineData("GET", 304)]
    public async Task ResponsesWithoutBody_AreNotWaitedFor(string method, int status)
    {
        var reply = status == 200
            ? "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
            : $"HTTP/1.1 {status} X\r\n\r\n";
        await using var backend = new TestBackend(_ => BackendReply.Raw(reply));
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync($"{method} / HTTP/1.1\r\nHost: a\r\n\r\n");
            var response = await client.ReadResponseAsync(headRequest: method == "HEAD");
            Assert.Equal(status, response.Status);
            if (method == "HEAD")
            {
                Assert.Equal("1000", response.Header("content-length"));
            }
        }

        Assert.Equal(1, backend.ConnectionCount);
    }

    [Fact]
    public async Task ExpectContinue_IsAnsweredByTheProxy()
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("PUT /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
        var interim = await client.ReadResponseAsync();
        Assert.Equal(100, interim.Status);
        await client.SendAsync("data");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        var seen = Assert.Single(backend.Requests);
        Assert.Null(seen.Header("expect"));
        Assert.Equal("data", Encoding.ASCII.GetString(seen.Body));
    }

    [Fact]
    public async Task Upgrade_SwitchesToTunnelAfter101()
    {
        await using var backend = new TunnelBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        var response = await client.ReadResponseAsync();
        Assert.Equal(101, response.Status);
        Assert.Equal("websocket", response.Header("upgrade"));
        Assert.Equal("upgrade", response.Header("connection"));
        Assert.Contains("Upgrade: websocket", backend.ReceivedHead, StringComparison.OrdinalIgnoreCase);

        await client.SendAsync("ping-1");
        Assert.Equal("ping-1", Encoding.ASCII.GetString(await client.Reader.ReadExactlyAsync(6).WaitAsync(TestTimeouts.Default)));
        await client.SendAsync("second message");
        Assert.Equal("second message", Encoding.ASCII.GetString(await client.Reader.ReadExactlyAsync(14).WaitAsync(TestTimeouts.Default)));
    }

    [Fact]
    public async Task WeightedRoute_SplitsByRelativeWeight()
    {
        await using var v1 = new TestBackend(_ => BackendReply.Ok("v1"));
        await using var v2 = new TestBackend(_ => BackendReply.Ok("v2"));
        var c1 = ProxyFixture.Cluster("v1", v1.EndPoint);
        var c2 = ProxyFixture.Cluster("v2", v2.EndPoint);
        var router = new TableRouter().Add("*", "/", new HttpRoute("split", [new WeightedCluster(c1, 9), new WeightedCluster(c2, 1)]));
        await using var proxy = await ProxyFixture.StartAsync(router, [c1, c2]);
        await using var client = await proxy.ConnectAsync();

        const int Total = 2000;
        var hitsV2 = 0;
        for (var i = 0; i < Total; i++)
        {
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            if ((await client.ReadResponseAsync()).BodyText == "v2")
            {
                hitsV2++;
            }
        }

        // Binomial(2000, 0.1): mean 200, sd ~13.4; +-6 sd keeps a false failure below 1e-8.
        Assert.InRange(hitsV2, 120, 280);
    }
}
