using System.Net;
using System.Text.Json;
using Proxy.Hosting.Tests.TestInfrastructure;

namespace Proxy.Hosting.Tests;

public sealed class EchoServerTests : IAsyncLifetime
{
    private EchoServer _echo = null!;

    public Task InitializeAsync()
    {
        _echo = EchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 0), "v1");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _echo.DisposeAsync().DefaultTimeout();

    [Fact]
    public async Task Get_Answers200_WithNameHeaderAndJsonBody()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_echo.EndPoint);
        await connection.SendAsync("GET /hello?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Test: a\r\n\r\n");

        var response = await connection.ReadResponseAsync();

        Assert.NotNull(response);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal("v1", response.Header("x-echo-name"));
        Assert.Equal("application/json", response.Header("content-type"));
        using var json = JsonDocument.Parse(response.Body);
        Assert.Equal("v1", json.RootElement.GetProperty("name").GetString());
        Assert.Equal("GET", json.RootElement.GetProperty("method").GetString());
        Assert.Equal("/hello?x=1", json.RootElement.GetProperty("path").GetString());
        Assert.Equal("example.com", json.RootElement.GetProperty("headers").GetProperty("host").GetString());
        Assert.Equal("a", json.RootElement.GetProperty("headers").GetProperty("x-test").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("body_bytes").GetInt64());
    }

    [Fact]
    public async Task KeepAlive_SecondRequestOnSameConnection_IsAnswered()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_echo.EndPoint);

        await connection.SendAsync("GET /one HTTP/1.1\r\nHost: a\r\n\r\n");
        var first = await connection.ReadResponseAsync();
        await connection.SendAsync("GET /two HTTP/1.1\r\nHost: a\r\n\r\n");
        var second = await connection.ReadResponseAsync();

        Assert.Equal("/one", Path(first));
        Assert.Equal("/two", Path(second));
        Assert.Null(second!.Header("connection"));
    }

    [Fact]
    public async Task Pipelining_TwoRequestsInOneWrite_AnsweredInOrder()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_echo.EndPoint);

        await connection.SendAsync(
            "POST /first HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" +
            "GET /second HTTP/1.1\r\nHost: a\r\n\r\n");

        var first = await connection.ReadResponseAsync();
        var second = await connection.ReadResponseAsync();
        Assert.Equal("/first", Path(first));
        Assert.Equal(5, BodyBytes(first));
        Assert.Equal("/second", Path(second));
    }

    [Fact]
    public async Task ChunkedBody_IsCountedAndDiscarded()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_echo.EndPoint);

        await connection.SendAsync("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        await connection.SendAsync("a;ext=1\r\n0123456789\r\n0\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal(15, BodyBytes(response));

        // The connection is still in sync after the chunked body.
        await connection.SendAsync("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal("/after", Path(await connection.ReadResponseAsync()));
    }

    [Fact]
    public async Task ContentLengthBody_SplitAcrossWrites_IsCounted()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_echo.EndPoint);

        await connection.SendAsync("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234");
        await Task.Delay(20);
        await connection.SendAsync("56789");

        Assert.Equal(10, BodyBytes(await connection.ReadResponseAsync()));
    }

    [Fact]
    public async Task Head_GetsHeadersWithoutBody()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_echo.EndPoint);

        await connection.SendAsync("HEAD /h HTTP/1.1\r\nHost: a\r\n\r\nGET /g HTTP/1.1\r\nHost: a\r\n\r\n");
        var head = await connection.ReadResponseAsync(isHead: true);
        var get = await connection.ReadResponseAsync();

        Assert.Equal(200, head!.StatusCode);
        Assert.NotEqual("0", head.Header("content-length"));
        Assert.Equal("/g", Path(get));
    }

    [Fact]
    public async Task ConnectionClose_IsHonoured()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_echo.EndPoint);

        await connection.SendAsync("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal("close", response!.Header("connection"));
        Assert.True(await connection.IsClosedByPeerAsync());
    }

    [Fact]
    public async Task Http10_WithoutKeepAlive_Closes()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_echo.EndPoint);

        await connection.SendAsync("GET / HTTP/1.0\r\n\r\n");
        Assert.Equal(200, (await connection.ReadResponseAsync())!.StatusCode);
        Assert.True(await connection.IsClosedByPeerAsync());
    }

    [Fact]
    public async Task Http10_WithKeepAlive_StaysOpen()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_echo.EndPoint);

        await connection.SendAsync("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        var first = await connection.ReadResponseAsync();
        await connection.SendAsync("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        var second = await connection.ReadResponseAsync();

        Assert.Equal("keep-alive", first!.Header("connection"));
        Assert.Equal("/b", Path(second));
    }

    [Fact]
    public async Task MalformedRequest_Gets400AndClosedConnection()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_echo.EndPoint);

        await connection.SendAsync("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal(400, response!.StatusCode);
        Assert.Equal("close", response.Header("connection"));
        Assert.True(await connection.IsClosedByPeerAsync());
    }

    [Fact]
    public async Task ContentLengthWithTransferEncoding_Gets400()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_echo.EndPoint);

        await connection.SendAsync("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");

        Assert.Equal(400, (await connection.ReadResponseAsync())!.StatusCode);
        Assert.True(await connection.IsClosedByPeerAsync());
    }

    [Fact]
    public async Task Stop_ClosesIdleConnections()
    {
        var echo = EchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 0), "tmp");
        await using var connection = await RawHttpConnection.ConnectAsync(echo.EndPoint);
        await connection.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.NotNull(await connection.ReadResponseAsync());

        await echo.StopAsync().DefaultTimeout();

        Assert.True(await connection.IsClosedByPeerAsync());
    }

    private static string? Path(RawHttpResponse? response)
    {
        Assert.NotNull(response);
        using var json = JsonDocument.Parse(response.Body);
        return json.RootElement.GetProperty("path").GetString();
    }

    private static long BodyBytes(RawHttpResponse? response)
    {
        Assert.NotNull(response);
        using var json = JsonDocument.Parse(response.Body);
        return json.RootElement.GetProperty("body_bytes").GetInt64();
    }
}
