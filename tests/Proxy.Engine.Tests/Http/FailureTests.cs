using System.Net;
using System.Net.Sockets;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http;

/// <summary>What clients see when routing or the upstream fails: Envoy's statuses, and no leaked connections.</summary>
public sealed class FailureTests
{
    [Fact]
    public async Task NoRoute_Answers404AndKeepsConnection()
    {
        await using var backend = new TestBackend();
        var cluster = ProxyFixture.Cluster("b", backend.EndPoint);
        var router = new TableRouter().Add("known.example", "/", new HttpRoute("r", [new WeightedCluster(cluster, 1)]));
        await using var proxy = await ProxyFixture.StartAsync(router, [cluster]);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: unknown.example\r\n\r\n");
        Assert.Equal(404, (await client.ReadResponseAsync()).Status);
        await client.SendAsync("GET / HTTP/1.1\r\nHost: KNOWN.example:80\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task ClusterWithoutEndpoints_Answers503NoHealthyUpstream()
    {
        var cluster = new ClusterConfig { Name = "empty", Endpoints = [] };
        await using var proxy = await ProxyFixture.StartAsync(cluster);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(503, response.Status);
        Assert.Equal("no healthy upstream", response.BodyText);
    }

    [Fact]
    public async Task ConnectRefused_Answers503ConnectFailure()
    {
        // A port bound but not listening refuses connections, and stays ours for the whole test (a released port
        // could be handed to the proxy's own listener, which would then connect to itself).
        using var refusing = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        refusing.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)refusing.LocalEndPoint!).Port;

        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("down", new IPEndPoint(IPAddress.Loopback, port)));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(503, response.Status);
        Assert.StartsWith("upstream connect error or disconnect/reset before headers", response.BodyText);
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(503, (await client.ReadResponseAsync()).Status);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505)]
    [InlineData("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400)]
    public async Task MalformedRequest_GetsStatusAndClosedConnection(string request, int status)
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(request);
        var response = await client.ReadResponseAsync();

        Assert.Equal(status, response.Status);
        Assert.Equal("close", response.Header("connection"));
        Assert.True(await client.IsClosedByPeerAsync());
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task OversizedRequestLine_Gets414()
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /" + new string('a', 9000) + " HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(414, (await client.ReadResponseAsync()).Status);
        Assert.True(await client.IsClosedByPeerAsync());
    }

    [Fact]
    public async Task InvalidResponseHead_Answers502()
    {
        await using var backend = new TestBackend(_ => BackendReply.Raw("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"));
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(502, (await client.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task UpstreamClosesWithoutResponseOnFreshConnection_Answers503UpstreamReset()
    {
        await using var backend = new TestBackend(_ => new BackendReply([], CloseWithoutReply: true));
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(503, response.Status);
        Assert.Contains("connection termination", response.BodyText, StringComparison.Ordinal);
        Assert.Equal(1, backend.ConnectionCount);
    }

    [Fact]
    public async Task UpstreamDiesMidBody_ClosesClientConnection()
    {
        await using var backend = new TestBackend(_ => BackendReply.Raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part", closeAfter: true));
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var head = await client.Reader.ReadHeadAsync().WaitAsync(TestTimeouts.Default);
        Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<IOException>(() => client.Reader.ReadFixedAsync(100).WaitAsync(TestTimeouts.Default));
        await PollAsync(() => proxy.Server.ConnectionCount == 0);
    }

    [Fact]
    public async Task ClientDisconnectMidRequestBody_ReleasesUpstream()
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        var client = await proxy.ConnectAsync();

        await client.SendAsync("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\npartial");
        await PollAsync(() => backend.ConnectionCount == 1);
        await client.DisposeAsync();

        await PollAsync(() => proxy.Server.ConnectionCount == 0);
        await PollAsync(() => backend.OpenConnections == 0);
    }

    internal static async Task PollAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Condition not reached in time.");
            await Task.Delay(10);
        }
    }
}
