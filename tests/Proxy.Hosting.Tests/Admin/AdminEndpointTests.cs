using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Proxy.Hosting.Admin;
using Proxy.Hosting.Tests.TestInfrastructure;

namespace Proxy.Hosting.Tests.Admin;

public sealed class AdminEndpointTests
{
    [Fact]
    public async Task Ready_Then_PostDrain_TurnsReadyTo503()
    {
        var draining = false;
        var drainCalls = 0;
        await using var admin = new AdminEndpoint(
            new IPEndPoint(IPAddress.Loopback, 0),
            () => Volatile.Read(ref draining),
            () =>
            {
                Interlocked.Increment(ref drainCalls);
                Volatile.Write(ref draining, true);
            },
            NullLogger.Instance);
        var endPoint = admin.Start();
        await using var connection = await RawHttpConnection.ConnectAsync(endPoint);

        await connection.SendAsync("GET /ready HTTP/1.1\r\nHost: admin\r\n\r\n");
        var ready = await connection.ReadResponseAsync();
        await connection.SendAsync("POST /drain HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\n\r\n");
        var drain = await connection.ReadResponseAsync();
        await connection.SendAsync("GET /ready HTTP/1.1\r\nHost: admin\r\n\r\n");
        var notReady = await connection.ReadResponseAsync();

        Assert.Equal(200, ready!.StatusCode);
        Assert.Equal("LIVE\n", ready.Body);
        Assert.Equal(200, drain!.StatusCode);
        Assert.Equal(1, drainCalls);
        Assert.Equal(503, notReady!.StatusCode);
        Assert.Equal("DRAINING\n", notReady.Body);
    }

    [Theory]
    [InlineData("GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", 404)]
    [InlineData("GET /drain HTTP/1.1\r\nHost: a\r\n\r\n", 405)]
    [InlineData("POST /ready HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 405)]
    public async Task UnknownPathOrWrongMethod_IsRejected(string request, int expectedStatus)
    {
        await using var admin = new AdminEndpoint(new IPEndPoint(IPAddress.Loopback, 0), () => false, () => { }, NullLogger.Instance);
        var endPoint = admin.Start();
        await using var connection = await RawHttpConnection.ConnectAsync(endPoint);

        await connection.SendAsync(request);

        Assert.Equal(expectedStatus, (await connection.ReadResponseAsync())!.StatusCode);
    }
}
