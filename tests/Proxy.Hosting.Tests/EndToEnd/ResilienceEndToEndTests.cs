using System.Net;
using System.Net.Sockets;
using System.Text;
using Proxy.Hosting.Tests.TestInfrastructure;

namespace Proxy.Hosting.Tests.EndToEnd;

/// <summary>
/// Timeouts, retries, circuit breakers and outlier detection from Istio YAML to the wire: client -> gateway -> a
/// healthy echo backend and one that always answers 503, and a backend that never answers. The engine's own tests
/// cover each policy's details; this proves the YAML reaches the data path and the policies work together there.
/// </summary>
public sealed class ResilienceEndToEndTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "proxy-resilience-" + Guid.NewGuid().ToString("N"));
    private EchoServer _healthy = null!;
    private CannedBackend _unavailable = null!;
    private CannedBackend _silent = null!;
    private ProxyGateway _gateway = null!;
    private IPEndPoint _endPoint = null!;

    public async Task InitializeAsync()
    {
        _healthy = EchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 0), "healthy");
        _unavailable = new CannedBackend("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 11\r\n\r\nunavailable");
        _silent = new CannedBackend(reply: null);
        Directory.CreateDirectory(_directory);
        File.WriteAllText(
            Path.Combine(_directory, "resilience.yaml"),
            Yaml(_healthy.EndPoint.Port, _unavailable.EndPoint.Port, _silent.EndPoint.Port));
        _gateway = await ProxyGateway.StartAsync(GatewayFixture.CreateOptions(_directory)).DefaultTimeout();
        _endPoint = _gateway.GetBoundEndPoint("127.0.0.1_8080")!;
        await AdminClient.WaitUntilReadyAsync(_gateway.AdminEndPoint!);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync().DefaultTimeout();
        await _healthy.DisposeAsync().DefaultTimeout();
        await _unavailable.DisposeAsync();
        await _silent.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task FailingEndpoint_RetriedAway_ThenEjected()
    {
        // Istio HTTPRetry retryOn gateway-error retries a 503 (Envoy: 502, 503, 504), on another host (Istio sets the
        // previous_hosts predicate); outlierDetection consecutive5xxErrors 2 ejects the endpoint after its second 503 in
        // a row, and maxEjectionPercent 50 allows one of two. Ejected for baseEjectionTime (5m), it gets no more requests.
        await using var connection = await RawHttpConnection.ConnectAsync(_endPoint);
        for (var i = 0; i < 60 && _gateway.Statistics.OutlierEjections == 0; i++)
        {
            var response = await GetAsync(connection, "app.example.com", "/items");
            Assert.Equal(200, response.StatusCode);
            Assert.Equal("healthy", response.Header("x-echo-name"));
        }

        var statistics = _gateway.Statistics;
        Assert.Equal(1, statistics.OutlierEjections);
        Assert.Equal(2, _unavailable.Requests);
        Assert.True(statistics.Retries >= 2, "Each 503 was retried.");

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(200, (await GetAsync(connection, "app.example.com", "/items")).StatusCode);
        }

        Assert.Equal(2, _unavailable.Requests);
        Assert.Equal(0, statistics.RetryOverflows);
    }

    [Fact]
    public async Task SilentBackend_RouteTimeout_504UpstreamRequestTimeout()
    {
        // Istio HTTPRoute timeout (Envoy route timeout): when it expires before the response, 504 with body
        // "upstream request timeout" (flag UT); the client connection stays open.
        await using var connection = await RawHttpConnection.ConnectAsync(_endPoint);
        var response = await GetAsync(connection, "silent.example.com", "/");

        Assert.Equal(504, response.StatusCode);
        Assert.Equal("upstream request timeout", response.Body);
        Assert.Equal(1, _gateway.Statistics.RouteTimeouts);
        Assert.Equal(200, (await GetAsync(connection, "app.example.com", "/")).StatusCode);
    }

    private static async Task<RawHttpResponse> GetAsync(RawHttpConnection connection, string host, string path)
    {
        await connection.SendAsync("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        var response = await connection.ReadResponseAsync();
        Assert.NotNull(response);
        return response;
    }

    private static string Yaml(int healthyPort, int unavailablePort, int silentPort) =>
        IstioYaml.Gateway + IstioYaml.ServiceEntry("app", "app.internal", healthyPort, unavailablePort)
        + IstioYaml.ServiceEntry("silent", "silent.internal", silentPort) + """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: app
        spec:
          host: app.internal
          trafficPolicy:
            connectionPool:
              tcp: {maxConnections: 10, connectTimeout: 2s}
              http: {http1MaxPendingRequests: 10, http2MaxRequests: 20, maxRetries: 5}
            outlierDetection:
              consecutive5xxErrors: 2
              interval: 10s
              baseEjectionTime: 5m
              maxEjectionPercent: 50
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: app
        spec:
          hosts: [app.example.com]
          gateways: [gw]
          http:
          - timeout: 10s
            retries: {attempts: 3, perTryTimeout: 5s, retryOn: gateway-error}
            route: [{destination: {host: app.internal}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: silent
        spec:
          hosts: [silent.example.com]
          gateways: [gw]
          http:
          - timeout: 1s
            route: [{destination: {host: silent.internal}}]
        """;

    /// <summary>A loopback backend that answers every request head with the same bytes, or (reply null) never answers;
    /// counts the request heads it received.</summary>
    private sealed class CannedBackend : IAsyncDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly CancellationTokenSource _stop = new();
        private readonly byte[]? _reply;
        private readonly Task _accept;
        private readonly List<Task> _connections = [];
        private int _requests;

        public CannedBackend(string? reply)
        {
            _reply = reply is null ? null : Encoding.ASCII.GetBytes(reply);
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(64);
            EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
            _accept = AcceptAsync();
        }

        public IPEndPoint EndPoint { get; }

        public int Requests => Volatile.Read(ref _requests);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Dispose();
            await _accept;
            Task[] connections;
            lock (_connections)
            {
                connections = [.. _connections];
            }

            await Task.WhenAll(connections).DefaultTimeout();
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                lock (_connections)
                {
                    _connections.Add(ServeAsync(socket));
                }
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            using var owned = socket;
            var buffer = new byte[8192];
            var seen = 0;
            try
            {
                while (true)
                {
                    var read = await socket.ReceiveAsync(buffer.AsMemory(seen), SocketFlags.None, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    seen += read;

                    // GET requests only: a head ends the request; the client sends the next one after the answer.
                    if (Encoding.Latin1.GetString(buffer, 0, seen).Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        seen = 0;
                        Interlocked.Increment(ref _requests);
                        if (_reply is not null)
                        {
                            await socket.SendAsync(_reply, SocketFlags.None, _stop.Token);
                        }
                    }
                    else if (seen == buffer.Length)
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
            }
        }
    }
}
