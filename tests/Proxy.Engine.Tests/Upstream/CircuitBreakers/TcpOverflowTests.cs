using System.Net.Sockets;
using Proxy.Engine.Config;
using Proxy.Engine.Tests.Http;
using Proxy.Engine.Tests.Infrastructure;
using Proxy.Engine.Tests.Tls;

namespace Proxy.Engine.Tests.Upstream.CircuitBreakers;

/// <summary>An L4 route under the cluster's MaxConnections, end to end over loopback.</summary>
public sealed class TcpOverflowTests
{
    [Fact]
    public async Task TcpRoute_MaxConnectionsFull_ClosesTheNextClientAtOnceAndCountsIt()
    {
        // Envoy's tcp_proxy checks the cluster's connections circuit breaker before asking the pool and, when it cannot
        // create one, sets flag UO, increments upstream_cx_overflow and fails the downstream connection (it does not
        // queue, "because the TCP conn pool will queue our request waiting for a connection that will never be released").
        await using var echo = new EchoBackend();
        var cluster = new ClusterConfig
        {
            Name = "echo",
            Endpoints = [new EndpointConfig(echo.EndPoint.Address.ToString(), echo.EndPoint.Port)],
            CircuitBreakers = new() { MaxConnections = 1 },
        };
        await using var proxy = await TlsProxyFixture.StartAsync(e => L4Tests.TcpListener(e, cluster), [cluster]);
        var state = cluster.State!;

        using (var first = await L4Tests.ConnectAsync(proxy.EndPoint))
        {
            await AssertEchoesAsync(first);
            Assert.Equal(1, state.OpenConnections);

            using var refused = await L4Tests.ConnectAsync(proxy.EndPoint);
            Assert.Empty(await L4Tests.ReceiveToEndAsync(refused).WaitAsync(TestTimeouts.Default));
            Assert.Equal(1, proxy.Statistics.TcpOverflows);
            Assert.Equal(0, proxy.Statistics.TcpConnectFailures);
            Assert.Equal(1, echo.ConnectionCount);

            // The first connection is untouched by the refusal.
            await AssertEchoesAsync(first);
            first.Shutdown(SocketShutdown.Send);
            Assert.Empty(await L4Tests.ReceiveToEndAsync(first).WaitAsync(TestTimeouts.Default));
        }

        // Its slot is free again once it closed.
        await FailureTests.PollAsync(() => state.OpenConnections == 0 && state.PendingRequests == 0);
        using var next = await L4Tests.ConnectAsync(proxy.EndPoint);
        await AssertEchoesAsync(next);
        Assert.Equal(1, proxy.Statistics.TcpOverflows);
    }

    private static async Task AssertEchoesAsync(Socket socket)
    {
        var payload = "ping"u8.ToArray();
        await socket.SendAsync(payload);
        var received = new byte[payload.Length];
        var total = 0;
        while (total < received.Length)
        {
            var n = await socket.ReceiveAsync(received.AsMemory(total)).AsTask().WaitAsync(TestTimeouts.Default);
            Assert.NotEqual(0, n);
            total += n;
        }

        Assert.Equal(payload, received);
    }
}
