using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http.Actions;

/// <summary>
/// Request mirroring (Istio mirror/mirrors, Envoy request_mirror_policies): a copy of the request goes to the mirror
/// cluster "fire and forget" — Istio: "responses are discarded" and the proxy does not wait for the mirror — with the
/// Host suffixed "-shadow" before any port (Envoy shadow_writer_impl.cc shadowAppendedHost).
/// </summary>
public sealed class MirrorTests
{
    private static HttpRoute Route(ClusterConfig primary, params MirrorPolicy[] mirrors) =>
        new("r", [new WeightedCluster(primary, 100)]) { Mirrors = mirrors };

    [Fact]
    public async Task Mirror_GetsCopyWithShadowHost_SameRequestId_ResponseDiscarded()
    {
        await using var primary = new TestBackend();
        await using var mirror = new TestBackend(_ => BackendReply.Ok("mirror says hi"));
        var primaryCluster = ProxyFixture.Cluster("primary", primary.EndPoint);
        var mirrorCluster = ProxyFixture.Cluster("mirror", mirror.EndPoint);
        var route = Route(primaryCluster, new MirrorPolicy(mirrorCluster));
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", route), [primaryCluster, mirrorCluster]);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /items?page=2 HTTP/1.1\r\nHost: shop.example.com:8080\r\nX-Custom: 1\r\n\r\n");
        var response = await client.ReadResponseAsync();
        Assert.Equal("GET /items?page=2", response.BodyText);

        await FailureTests.PollAsync(() => mirror.Requests.Count == 1 && proxy.Server.MirrorsInFlight == 0);
        var copy = Assert.Single(mirror.Requests);
        var original = Assert.Single(primary.Requests);
        Assert.Equal("/items?page=2", copy.Target);
        Assert.Equal("shop.example.com-shadow:8080", copy.Header("host"));
        Assert.Equal("shop.example.com:8080", original.Header("host"));
        Assert.Equal("1", copy.Header("x-custom"));
        Assert.Equal(original.Header("x-request-id"), copy.Header("x-request-id"));
        Assert.Equal(1, proxy.Server.Statistics.MirrorsSent);
        Assert.Equal(0, proxy.Server.Statistics.MirrorsFailed);

        // The mirror's connection went back to its pool and is reused by the next copy.
        await client.SendAsync("GET /again HTTP/1.1\r\nHost: shop.example.com\r\n\r\n");
        await client.ReadResponseAsync();
        await FailureTests.PollAsync(() => mirror.Requests.Count == 2);
        Assert.Equal("shop.example.com-shadow", mirror.Requests.Last().Header("host"));
        Assert.Equal(1, mirror.ConnectionCount);
    }

    [Fact]
    public async Task Mirror_SmallBody_BothGetIt()
    {
        await using var primary = new TestBackend();
        await using var mirror = new TestBackend();
        var primaryCluster = ProxyFixture.Cluster("primary", primary.EndPoint);
        var mirrorCluster = ProxyFixture.Cluster("mirror", mirror.EndPoint);
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", Route(primaryCluster, new MirrorPolicy(mirrorCluster))), [primaryCluster, mirrorCluster]);
        await using var client = await proxy.ConnectAsync();

        var body = new string('x', 20_000);
        await client.SendAsync($"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await client.SendAsync("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
        Assert.Equal(100, (await client.ReadResponseAsync()).Status);
        await client.SendAsync("abc");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        await FailureTests.PollAsync(() => mirror.Requests.Count == 2);
        Assert.Equal([body, "abc"], primary.Requests.Select(r => Encoding.ASCII.GetString(r.Body)));
        Assert.Equal([body, "abc"], mirror.Requests.Select(r => Encoding.ASCII.GetString(r.Body)));
        Assert.All(mirror.Requests, r => Assert.Null(r.Header("expect")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Mirror_ChunkedOrLargeBody_ForwardedButNotMirrored(bool chunked)
    {
        await using var primary = new TestBackend();
        await using var mirror = new TestBackend();
        var primaryCluster = ProxyFixture.Cluster("primary", primary.EndPoint);
        var mirrorCluster = ProxyFixture.Cluster("mirror", mirror.EndPoint);
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", Route(primaryCluster, new MirrorPolicy(mirrorCluster))), [primaryCluster, mirrorCluster]);
        await using var client = await proxy.ConnectAsync();

        var large = new string('y', 64 * 1024 + 1);
        await client.SendAsync(chunked
            ? "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            : $"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {large.Length}\r\n\r\n{large}");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        Assert.Equal(chunked ? 3 : large.Length, Assert.Single(primary.Requests).Body.Length);
        Assert.Equal(1, proxy.Server.Statistics.MirrorsSkipped);
        Assert.Equal(0, proxy.Server.Statistics.MirrorsSent);
        Assert.Equal(0, mirror.ConnectionCount);
    }

    [Fact]
    public async Task Mirror_ZeroPercent_NeverSent()
    {
        await using var primary = new TestBackend();
        await using var mirror = new TestBackend();
        var primaryCluster = ProxyFixture.Cluster("primary", primary.EndPoint);
        var mirrorCluster = ProxyFixture.Cluster("mirror", mirror.EndPoint);
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", Route(primaryCluster, new MirrorPolicy(mirrorCluster, 0))), [primaryCluster, mirrorCluster]);
        await using var client = await proxy.ConnectAsync();

        for (var i = 0; i < 10; i++)
        {
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        }

        Assert.Equal(0, proxy.Server.Statistics.MirrorsSent);
        Assert.Equal(0, mirror.ConnectionCount);
    }

    [Fact]
    public async Task Mirror_UpstreamNeverAnswers_PrimaryUnaffected_StopAbortsIt()
    {
        await using var primary = new TestBackend();
        await using var silent = new SilentBackend();
        var primaryCluster = ProxyFixture.Cluster("primary", primary.EndPoint);
        var mirrorCluster = ProxyFixture.Cluster("mirror", silent.EndPoint);
        var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", Route(primaryCluster, new MirrorPolicy(mirrorCluster))), [primaryCluster, mirrorCluster]);
        var client = await proxy.ConnectAsync();

        // The mirror's deadline (10 s connect timeout + 15 s) is beyond the test timeout: a primary waiting for its
        // mirror would fail here.
        await client.SendAsync("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await FailureTests.PollAsync(() => silent.BytesReceived > 0);
        Assert.Equal(1, proxy.Server.MirrorsInFlight);

        await client.DisposeAsync();
        await proxy.DisposeAsync();

        Assert.Equal(0, proxy.Server.MirrorsInFlight);
        Assert.Equal(1, proxy.Server.Statistics.MirrorsFailed);
        await FailureTests.PollAsync(() => silent.OpenConnections == 0);
    }

    [Fact]
    public async Task Mirror_Deadline_AbortsSilentMirror()
    {
        await using var primary = new TestBackend();
        await using var silent = new SilentBackend();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var primaryCluster = ProxyFixture.Cluster("primary", primary.EndPoint);
        var mirrorCluster = new ClusterConfig { Name = "mirror", Endpoints = [new EndpointConfig("127.0.0.1", silent.EndPoint.Port)], ConnectTimeout = TimeSpan.FromSeconds(1) };
        await using var proxy = await ProxyFixture.StartAsync(
            new TableRouter().Add("*", "", Route(primaryCluster, new MirrorPolicy(mirrorCluster))), [primaryCluster, mirrorCluster], new ProxyServerOptions { TimeProvider = time });
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await FailureTests.PollAsync(() => silent.BytesReceived > 0);

        // Connect timeout + 15 s.
        time.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(1, proxy.Server.MirrorsInFlight);
        time.Advance(TimeSpan.FromSeconds(1));
        await FailureTests.PollAsync(() => proxy.Server.MirrorsInFlight == 0);
        Assert.Equal(1, proxy.Server.Statistics.MirrorsFailed);
        await FailureTests.PollAsync(() => silent.OpenConnections == 0);
    }

    [Fact]
    public async Task Mirror_RefusedConnection_PrimaryUnaffected_CountedFailed()
    {
        // Bound but not listening: connections are refused, and the port stays ours.
        using var refusing = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        refusing.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var primary = new TestBackend();
        var primaryCluster = ProxyFixture.Cluster("primary", primary.EndPoint);
        var mirrorCluster = ProxyFixture.Cluster("mirror", (IPEndPoint)refusing.LocalEndPoint!);
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", Route(primaryCluster, new MirrorPolicy(mirrorCluster))), [primaryCluster, mirrorCluster]);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        await FailureTests.PollAsync(() => proxy.Server.Statistics.MirrorsFailed == 1 && proxy.Server.MirrorsInFlight == 0);
        Assert.Single(primary.Requests);
    }

    [Fact]
    public async Task Mirror_OverTheCap_CopiesDroppedAndCounted()
    {
        const int cap = 64;
        const int extra = 6;
        await using var primary = new TestBackend();
        await using var silent = new SilentBackend();
        var primaryCluster = ProxyFixture.Cluster("primary", primary.EndPoint);
        var mirrorCluster = ProxyFixture.Cluster("mirror", silent.EndPoint);
        var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", Route(primaryCluster, new MirrorPolicy(mirrorCluster))), [primaryCluster, mirrorCluster]);
        var client = await proxy.ConnectAsync();

        for (var i = 0; i < cap + extra; i++)
        {
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        }

        Assert.Equal(cap, proxy.Server.Statistics.MirrorsSent);
        Assert.Equal(extra, proxy.Server.Statistics.MirrorsDropped);
        await FailureTests.PollAsync(() => silent.ConnectionCount == cap);

        await client.DisposeAsync();
        await proxy.DisposeAsync();
        Assert.Equal(0, proxy.Server.MirrorsInFlight);
        Assert.Equal(cap, proxy.Server.Statistics.MirrorsFailed);
        await FailureTests.PollAsync(() => silent.OpenConnections == 0);
    }

    [Fact]
    public async Task Mirrors_SeveralPolicies_EachGetsACopy_NothingLeaks()
    {
        await using var primary = new TestBackend();
        await using var mirrorA = new TestBackend();
        await using var mirrorB = new TestBackend();
        var primaryCluster = ProxyFixture.Cluster("primary", primary.EndPoint);
        var clusterA = ProxyFixture.Cluster("mirror-a", mirrorA.EndPoint);
        var clusterB = ProxyFixture.Cluster("mirror-b", mirrorB.EndPoint);
        var proxy = await ProxyFixture.StartAsync(
            new TableRouter().Add("*", "", Route(primaryCluster, new MirrorPolicy(clusterA), new MirrorPolicy(clusterB, 100))), [primaryCluster, clusterA, clusterB]);
        var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await FailureTests.PollAsync(() => mirrorA.Requests.Count == 1 && mirrorB.Requests.Count == 1 && proxy.Server.MirrorsInFlight == 0);

        await client.DisposeAsync();
        await FailureTests.PollAsync(() => proxy.Server.ConnectionCount == 0);
        await proxy.DisposeAsync();
        await FailureTests.PollAsync(() => mirrorA.OpenConnections == 0 && mirrorB.OpenConnections == 0 && primary.OpenConnections == 0);
    }
}
