using System.Text;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http.Actions;

/// <summary>Route direct responses (Istio HTTPDirectResponse, Envoy direct_response): answered by the proxy with the
/// configured status and body; a non-empty body goes out as <c>content-type: text/plain</c> like every Envoy local
/// reply, and the route's response header operations apply.</summary>
public sealed class DirectResponseTests
{
    private static HttpRoute Route(int status, string body, HeaderOperations? responseHeaders = null) =>
        new("direct", []) { DirectResponse = new DirectResponseAction(status, Encoding.UTF8.GetBytes(body)), ResponseHeaders = responseHeaders };

    [Fact]
    public async Task DirectResponse_StatusBodyAndTextPlain()
    {
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", Route(503, "maintenance")), []);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", response.Head, StringComparison.Ordinal);
        Assert.Equal("maintenance", response.BodyText);
        Assert.Equal("11", response.Header("content-length"));
        Assert.Equal("text/plain", response.Header("content-type"));
    }

    [Fact]
    public async Task DirectResponse_EmptyBody_NoContentType()
    {
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", Route(200, "")), []);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("0", response.Header("content-length"));
        Assert.Null(response.Header("content-type"));
    }

    [Fact]
    public async Task DirectResponse_Head_HasLengthButNoBody_ConnectionStaysInSync()
    {
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", Route(200, "hello")), []);
        await using var client = await proxy.ConnectAsync();

        // Pipelined: if the HEAD reply carried a body, the GET's reply would not parse.
        await client.SendAsync("HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var head = await client.ReadResponseAsync(headRequest: true);
        var get = await client.ReadResponseAsync();

        Assert.Equal("5", head.Header("content-length"));
        Assert.Equal(200, get.Status);
        Assert.Equal("hello", get.BodyText);
    }

    [Fact]
    public async Task DirectResponse_RouteResponseHeaderOperations()
    {
        var headers = new HeaderOperations(
            set: [new("content-type", "application/json"), new("x-served-by", "gateway")],
            add: [new("x-tag", "a"), new("x-tag", "b")]);
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", Route(404, "{\"error\":1}", headers)), []);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(404, response.Status);
        Assert.Equal("{\"error\":1}", response.BodyText);

        // Envoy sets text/plain before the route's edits, so a configured content-type replaces it.
        Assert.Equal(["application/json"], Values(response, "content-type"));
        Assert.Equal("gateway", response.Header("x-served-by"));
        Assert.Equal(["a", "b"], Values(response, "x-tag"));
    }

    [Fact]
    public async Task DirectResponse_WithRequestBody_ClosesConnection()
    {
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", Route(200, "ok")), []);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
        var response = await client.ReadResponseAsync();

        Assert.Equal("ok", response.BodyText);
        Assert.Equal("close", response.Header("connection"));
        Assert.True(await client.IsClosedByPeerAsync());
        await FailureTests.PollAsync(() => proxy.Server.ConnectionCount == 0);
    }

    [Fact]
    public async Task DirectResponse_Http10KeepAlive_SaysKeepAlive()
    {
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", Route(200, "ok")), []);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        var first = await client.ReadResponseAsync();
        await client.SendAsync("GET / HTTP/1.0\r\n\r\n");
        var second = await client.ReadResponseAsync();

        Assert.Equal("keep-alive", first.Header("connection"));
        Assert.Equal("close", second.Header("connection"));
        Assert.True(await client.IsClosedByPeerAsync());
    }

    internal static string[] Values(ClientResponse response, string name) =>
        [.. response.Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value)];
}
