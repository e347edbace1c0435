using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Http;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Tls;

/// <summary>L4 over real loopback sockets: TCP routes with half-close, TLS passthrough by SNI, idle timeout.</summary>
public sealed class L4Tests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task TcpRouteEchoesAndHonoursTheClientsHalfClose()
    {
        await using var echo = new EchoBackend();
        var cluster = ProxyFixture.Cluster("echo", echo.EndPoint);
        await using var proxy = await TlsProxyFixture.StartAsync(e => TcpListener(e, cluster), [cluster]);

        using var socket = await ConnectAsync(proxy.EndPoint);
        var payload = new byte[300_000];
        Random.Shared.NextBytes(payload);

        // Send everything, then FIN: the echo must still come back in full over the half-open connection, followed
        // by the upstream's own FIN passed through.
        var receive = ReceiveToEndAsync(socket);
        await socket.SendAsync(payload);
        socket.Shutdown(SocketShutdown.Send);
        var echoed = await receive.WaitAsync(TestTimeouts.Default);

        Assert.Equal(payload, echoed);
        await FailureTests.PollAsync(() => echo.SawClientFin.TryPeek(out var fin) && fin);
        await FailureTests.PollAsync(() => proxy.Statistics.TcpClosed == 1);
        Assert.Equal(1, proxy.Statistics.TcpOpened);
        Assert.Equal(payload.Length, proxy.Statistics.TcpReceivedBytes);
        Assert.Equal(payload.Length, proxy.Statistics.TcpSentBytes);
    }

    [Fact]
    public async Task TcpRouteToADeadUpstreamClosesTheClientAndCountsIt()
    {
        // Bound but not listening: connections are refused, and the port stays ours for the whole test.
        using var refusing = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        refusing.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var dead = (IPEndPoint)refusing.LocalEndPoint!;
        var cluster = ProxyFixture.Cluster("dead", dead);
        await using var proxy = await TlsProxyFixture.StartAsync(e => TcpListener(e, cluster), [cluster]);

        using var socket = await ConnectAsync(proxy.EndPoint);
        Assert.Empty(await ReceiveToEndAsync(socket).WaitAsync(TestTimeouts.Default));
        Assert.Equal(1, proxy.Statistics.TcpConnectFailures);
    }

    [Fact]
    public async Task PassthroughReachesTwoTlsBackendsBySniUntouched()
    {
        using var oneCert = _pki.IssueServer("one.example.com");
        using var twoCert = _pki.IssueServer("two.example.com");
        await using var one = new EchoBackend("one", oneCert);
        await using var two = new EchoBackend("two", twoCert);
        var oneCluster = ProxyFixture.Cluster("one", one.EndPoint);
        var twoCluster = ProxyFixture.Cluster("two", two.EndPoint);
        var router = new SniRouter().Add("one.example.com", oneCluster).Add("two.example.com", twoCluster);
        await using var proxy = await TlsProxyFixture.StartAsync(
            e => new ListenerConfig
            {
                Name = "passthrough",
                EndPoint = e,
                TlsFilterChains = [new TlsFilterChain { Name = "pt", ServerNames = ["one.example.com", "two.example.com"], TcpRouter = router }],
            },
            [oneCluster, twoCluster]);

        foreach (var (name, expected) in new[] { ("one.example.com", "one"), ("two.example.com", "two"), ("one.example.com", "one") })
        {
            // The client verifies the backend's own certificate end to end: the proxy never decrypted anything.
            using var socket = await ConnectAsync(proxy.EndPoint);
            await using var ssl = new SslStream(new NetworkStream(socket));
            await ssl.AuthenticateAsClientAsync(TestPki.ClientOptions(name, _pki.Ca)).WaitAsync(TestTimeouts.Default);
            Assert.Equal($"CN={name}", ((System.Security.Cryptography.X509Certificates.X509Certificate2)ssl.RemoteCertificate!).Subject);
            var greeting = await ReadLineAsync(ssl);
            Assert.Equal($"hello from {expected} sni={name}", greeting);

            await ssl.WriteAsync("ping\n"u8.ToArray());
            Assert.Equal("ping", await ReadLineAsync(ssl));
        }

        Assert.Equal(2, one.ConnectionCount);
        Assert.Equal(1, two.ConnectionCount);
        Assert.Equal(0, proxy.Statistics.TlsHandshakes); // nothing terminated
    }

    [Fact]
    public async Task PassthroughClosesAConnectionNoChainClaims()
    {
        await using var echo = new EchoBackend();
        var cluster = ProxyFixture.Cluster("echo", echo.EndPoint);
        var router = new SniRouter().Add("one.example.com", cluster);
        await using var proxy = await TlsProxyFixture.StartAsync(
            e => new ListenerConfig
            {
                Name = "passthrough",
                EndPoint = e,
                TlsFilterChains = [new TlsFilterChain { Name = "pt", ServerNames = ["one.example.com"], TcpRouter = router }],
            },
            [cluster]);

        using var socket = await ConnectAsync(proxy.EndPoint);
        await using var ssl = new SslStream(new NetworkStream(socket));
        await Assert.ThrowsAnyAsync<Exception>(() => ssl.AuthenticateAsClientAsync(TestPki.ClientOptions("other.example.com", _pki.Ca)).WaitAsync(TestTimeouts.Default));
        await FailureTests.PollAsync(() => proxy.Statistics.TlsNoFilterChain == 1);
        Assert.Equal(0, echo.ConnectionCount);
    }

    [Fact]
    public async Task TerminatedTlsCanCarryTcp()
    {
        await using var echo = new EchoBackend();
        var cluster = ProxyFixture.Cluster("echo", echo.EndPoint);
        using var certificate = _pki.IssueServer("db.example.com");
        await using var proxy = await TlsProxyFixture.StartAsync(
            e => new ListenerConfig
            {
                Name = "tls-tcp",
                EndPoint = e,
                TlsFilterChains =
                [
                    new TlsFilterChain
                    {
                        Name = "db",
                        ServerNames = ["db.example.com"],
                        Termination = new TlsServerSettings { Credentials = new StaticTlsCredentialSource(_pki.Credentials(certificate)) },
                        TcpRouter = new SniRouter().Fallback(cluster),
                    },
                ],
            },
            [cluster]);

        await using var client = await TestClient.ConnectTlsAsync(proxy.EndPoint, "db.example.com", _pki.Ca);
        Assert.Null(client.NegotiatedApplicationProtocol is "http/1.1" ? "unexpected ALPN" : null);
        await client.SendAsync("plain bytes\r\n\r\n");
        Assert.Equal("plain bytes", await client.Reader.ReadHeadAsync().WaitAsync(TestTimeouts.Default));
    }

    [Fact]
    public async Task IdleTcpConnectionsCloseAfterTheClustersIdleTimeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var echo = new EchoBackend();
        var cluster = new ClusterConfig
        {
            Name = "echo",
            Endpoints = [new EndpointConfig("127.0.0.1", echo.EndPoint.Port)],
            IdleTimeout = TimeSpan.FromMinutes(5),
        };
        await using var proxy = await TlsProxyFixture.StartAsync(e => TcpListener(e, cluster), [cluster], new ProxyServerOptions { TimeProvider = time });

        using var socket = await ConnectAsync(proxy.EndPoint);
        await socket.SendAsync("x"u8.ToArray());
        var one = new byte[1];
        Assert.Equal(1, await socket.ReceiveAsync(one.AsMemory()).AsTask().WaitAsync(TestTimeouts.Default));

        // Activity keeps it open; silence past the timeout closes both sides.
        time.Advance(TimeSpan.FromMinutes(4));
        await socket.SendAsync("y"u8.ToArray());
        Assert.Equal(1, await socket.ReceiveAsync(one.AsMemory()).AsTask().WaitAsync(TestTimeouts.Default));
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(0, proxy.Statistics.TcpIdleTimeoutCount);

        time.Advance(TimeSpan.FromMinutes(2));
        await FailureTests.PollAsync(() => proxy.Statistics.TcpIdleTimeoutCount == 1);
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var n = await socket.ReceiveAsync(one.AsMemory()).AsTask().WaitAsync(TestTimeouts.Default);
            if (n == 0)
            {
                throw new IOException("closed");
            }
        });
        await FailureTests.PollAsync(() => echo.ClosedConnections == 1);
    }

    internal static ListenerConfig TcpListener(IPEndPoint endPoint, ClusterConfig cluster) => new()
    {
        Name = "tcp",
        EndPoint = endPoint,
        TcpRouter = new SniRouter().Fallback(cluster),
    };

    internal static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint).WaitAsync(TestTimeouts.Default);
        return socket;
    }

    internal static async Task<byte[]> ReceiveToEndAsync(Socket socket)
    {
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer);
            }
            catch (SocketException)
            {
                break;
            }

            if (n == 0)
            {
                break;
            }

            received.Write(buffer, 0, n);
        }

        return received.ToArray();
    }

    private static async Task<string> ReadLineAsync(Stream stream)
    {
        var sb = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one).AsTask().WaitAsync(TestTimeouts.Default) == 1 && one[0] != '\n')
        {
            sb.Append((char)one[0]);
        }

        return sb.ToString();
    }
}
