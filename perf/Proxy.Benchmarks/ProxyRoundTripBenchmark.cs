using System.Net;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using Proxy.Engine;
using Proxy.Engine.Config;
using Proxy.Engine.Http;
using Proxy.Engine.Routing;

namespace Proxy.Benchmarks;

/// <summary>
/// One proxied keep-alive GET over real loopback sockets: client -> ProxyServer -> backend, all in this process.
/// The client and the backend use blocking sockets and preallocated buffers, so they allocate nothing; the
/// allocated bytes MemoryDiagnoser reports (process-wide) are the proxy's own per-request allocations.
/// Latency here is dominated by loopback round trips and thread hand-offs; throughput is measured by perf/compare.sh.
/// </summary>
[MemoryDiagnoser]
public class ProxyRoundTripBenchmark
{
    private static readonly byte[] Request = Encoding.ASCII.GetBytes(
        "GET /api/items?page=2 HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\r\n" +
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\n" +
        "Cookie: session=4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99; theme=dark\r\nReferer: https://shop.example.com/\r\nend-user: jason\r\n\r\n");

    private static readonly byte[] BackendResponse = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok");

    private readonly byte[] _clientBuffer = new byte[4096];
    private Socket _backendListener = null!;
    private Socket _client = null!;
    private ProxyServer _server = null!;
    private int _responseLength;

    [GlobalSetup]
    public void Setup()
    {
        _backendListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _backendListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _backendListener.Listen(16);
        var backendPort = ((IPEndPoint)_backendListener.LocalEndPoint!).Port;
        new Thread(AcceptBackendConnections) { IsBackground = true }.Start();

        var cluster = new ClusterConfig { Name = "backend", Endpoints = [new EndpointConfig("127.0.0.1", backendPort)] };
        var route = new HttpRoute("all", [new WeightedCluster(cluster, 100)]);
        _server = new ProxyServer();
        _server.StartAsync(new ProxyConfig
        {
            Listeners = [new ListenerConfig { Name = "bench", EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Router = new SingleRouteRouter(route) }],
            Clusters = [cluster],
        }).GetAwaiter().GetResult();

        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _client.Connect(_server.GetBoundEndPoint("bench")!);

        // Learn the exact response length once (the proxy forwards the backend's head unchanged).
        _client.Send(Request);
        _responseLength = ReadResponseHead();
    }

    [Benchmark]
    public int ProxiedKeepAliveGet()
    {
        _client.Send(Request);
        var received = 0;
        while (received < _responseLength)
        {
            received += _client.Receive(_clientBuffer, received, _clientBuffer.Length - received, SocketFlags.None);
        }

        return received;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _server.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token).GetAwaiter().GetResult();
        _backendListener.Dispose();
    }

    private int ReadResponseHead()
    {
        var received = 0;
        while (true)
        {
            received += _client.Receive(_clientBuffer, received, _clientBuffer.Length - received, SocketFlags.None);
            var end = _clientBuffer.AsSpan(0, received).IndexOf("\r\n\r\n"u8);
            if (end >= 0 && received >= end + 4 + 2)
            {
                return end + 4 + 2;
            }
        }
    }

    private void AcceptBackendConnections()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = _backendListener.Accept();
            }
            catch (SocketException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            socket.NoDelay = true;
            new Thread(() => ServeBackend(socket)) { IsBackground = true }.Start();
        }
    }

    private static void ServeBackend(Socket socket)
    {
        var buffer = new byte[16 * 1024];
        var buffered = 0;
        try
        {
            while (true)
            {
                var n = socket.Receive(buffer, buffered, buffer.Length - buffered, SocketFlags.None);
                if (n == 0)
                {
                    return;
                }

                buffered += n;
                int end;
                while ((end = buffer.AsSpan(0, buffered).IndexOf("\r\n\r\n"u8)) >= 0)
                {
                    socket.Send(BackendResponse);
                    var consumed = end + 4;
                    buffer.AsSpan(consumed, buffered - consumed).CopyTo(buffer);
                    buffered -= consumed;
                }
            }
        }
        catch (SocketException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    private sealed class SingleRouteRouter(HttpRoute route) : IHttpRouter
    {
        public HttpRoute? Route(HttpRequestHead request) => route;
    }
}
