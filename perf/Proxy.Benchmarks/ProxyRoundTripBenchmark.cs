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
/// <see cref="Scenario.Actions"/> runs the same exchange through a route with request and response header edits at route and
/// destination level, a prefix rewrite and a CORS policy the request's Origin passes: route actions must add no
/// per-request allocation either. <see cref="Scenario.Resilience"/> forwards through a route with Istio's default retry
/// policy, a route timeout and a per-try timeout, to a cluster with circuit breakers and outlier detection: with
/// nothing failing, the policy checks must cost no allocation and little time.
/// </summary>
[MemoryDiagnoser]
public class ProxyRoundTripBenchmark
{
    private static readonly byte[] Request = Encoding.ASCII.GetBytes(
        "GET /api/items?page=2 HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\r\n" +
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\n" +
        "Cookie: session=4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99; theme=dark\r\nReferer: https://shop.example.com/\r\nend-user: jason\r\n\r\n");

    private static readonly byte[] CorsRequest = Encoding.ASCII.GetBytes(
        "GET /api/items?page=2 HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\r\n" +
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\n" +
        "Cookie: session=4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99; theme=dark\r\nReferer: https://shop.example.com/\r\nend-user: jason\r\nOrigin: https://shop.example.com\r\n\r\n");

    private static readonly byte[] BackendResponse = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok");

    private readonly byte[] _clientBuffer = new byte[4096];
    private Socket _backendListener = null!;
    private Socket _client = null!;
    private ProxyServer _server = null!;
    private int _responseLength;
    private byte[] _request = Request;

    public enum Scenario
    {
        /// <summary>A plain forwarding route.</summary>
        Plain,

        /// <summary>The same with header edits, a prefix rewrite and CORS.</summary>
        Actions,

        /// <summary>The same as Plain with retries, timeouts, circuit breakers and outlier detection configured.</summary>
        Resilience,
    }

    [Params(Scenario.Plain, Scenario.Actions, Scenario.Resilience)]
    public Scenario Route { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _backendListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _backendListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _backendListener.Listen(16);
        var backendPort = ((IPEndPoint)_backendListener.LocalEndPoint!).Port;
        new Thread(AcceptBackendConnections) { IsBackground = true }.Start();

        var cluster = new ClusterConfig
        {
            Name = "backend",
            Endpoints = [new EndpointConfig("127.0.0.1", backendPort)],
            CircuitBreakers = Route == Scenario.Resilience
                ? new CircuitBreakerThresholds { MaxConnections = 1024, MaxPendingRequests = 1024, MaxRequests = 1024, MaxRetries = 3 }
                : CircuitBreakerThresholds.Unlimited,
            OutlierDetection = Route == Scenario.Resilience ? new OutlierDetectionConfig { ConsecutiveGatewayErrors = 5 } : null,
        };
        var route = Route switch
        {
            Scenario.Actions => ActionsRoute(cluster),
            Scenario.Resilience => new HttpRoute("resilient", [new WeightedCluster(cluster, 100)])
            {
                Timeout = TimeSpan.FromSeconds(15),
                Retry = new RetryPolicy
                {
                    // Istio's default policy (retry.go DefaultPolicy) with a per-try timeout.
                    NumRetries = 2,
                    RetryOn = RetryConditions.ConnectFailure | RetryConditions.RefusedStream | RetryConditions.GrpcUnavailable
                        | RetryConditions.GrpcCancelled | RetryConditions.RetriableStatusCodes,
                    RetriableStatusCodes = [503],
                    PerTryTimeout = TimeSpan.FromSeconds(5),
                },
            },
            _ => new HttpRoute("all", [new WeightedCluster(cluster, 100)]),
        };
        _request = Route == Scenario.Actions ? CorsRequest : Request;
        _server = new ProxyServer();
        _server.StartAsync(new ProxyConfig
        {
            Listeners = [new ListenerConfig { Name = "bench", EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Router = new SingleRouteRouter(route) }],
            Clusters = [cluster],
        }).GetAwaiter().GetResult();

        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _client.Connect(_server.GetBoundEndPoint("bench")!);

        // Learn the exact response length once (the same for every request: the backend's head, edited the same way).
        _client.Send(_request);
        _responseLength = ReadResponseHead();
    }

    [Benchmark]
    public int ProxiedKeepAliveGet()
    {
        _client.Send(_request);
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

    private static HttpRoute ActionsRoute(ClusterConfig cluster)
    {
        var destination = new WeightedCluster(cluster, 100)
        {
            RequestHeaders = new HeaderOperations(set: [new("x-destination", "v1")]),
            ResponseHeaders = new HeaderOperations(add: [new("x-served-by", "v1")]),
        };
        return new HttpRoute("actions", [destination])
        {
            PathRewrite = PathRewrite.ReplacePrefix("/api", "/v2"),
            RequestHeaders = new HeaderOperations(set: [new("x-gateway", "bench")], add: [new("x-tag", "a")], remove: ["referer"]),
            ResponseHeaders = new HeaderOperations(set: [new("cache-control", "no-store")], remove: ["content-type"]),
            Cors = new CorsPolicy
            {
                AllowOrigins = [ValueMatcher.Exact("https://shop.example.com")],
                AllowMethods = "GET,POST",
                ExposeHeaders = "x-served-by",
                AllowCredentials = true,
            },
        };
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
