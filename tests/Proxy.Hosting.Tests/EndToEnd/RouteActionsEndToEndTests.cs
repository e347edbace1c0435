using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Proxy.Hosting.Tests.TestInfrastructure;

namespace Proxy.Hosting.Tests.EndToEnd;

/// <summary>
/// Every VirtualService route action from Istio YAML to the wire: client -> gateway -> echo backend over loopback.
/// The engine's own tests cover each action's details; this proves the YAML reaches the data path intact.
/// </summary>
public sealed class RouteActionsEndToEndTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "proxy-actions-" + Guid.NewGuid().ToString("N"));
    private readonly Socket _shadow = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private EchoServer _app = null!;
    private ProxyGateway _gateway = null!;
    private IPEndPoint _endPoint = null!;

    public async Task InitializeAsync()
    {
        _app = EchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 0), "app");
        _shadow.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _shadow.Listen(8);
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "actions.yaml"), Yaml(_app.EndPoint.Port, ((IPEndPoint)_shadow.LocalEndPoint!).Port));
        _gateway = await ProxyGateway.StartAsync(GatewayFixture.CreateOptions(_directory)).DefaultTimeout();
        _endPoint = _gateway.GetBoundEndPoint("127.0.0.1_8080")!;
        await AdminClient.WaitUntilReadyAsync(_gateway.AdminEndPoint!);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync().DefaultTimeout();
        await _app.DisposeAsync().DefaultTimeout();
        _shadow.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Redirect_AnswersWithTheConfiguredLocationAndCode()
    {
        var response = await SendAsync("GET /old?id=7 HTTP/1.1\r\nHost: actions.example.com\r\n\r\n");

        // HTTPRedirect: "uri: ... overwrite the Path portion of the URL"; redirectCode 302; the query is kept.
        Assert.Equal(302, response.StatusCode);
        Assert.Equal("http://actions.example.com/new?id=7", response.Header("location"));
    }

    [Fact]
    public async Task RewriteAndHeaders_ReachTheBackendAndTheClient()
    {
        var response = await SendAsync("GET /api/items?page=2 HTTP/1.1\r\nHost: actions.example.com\r\nX-Debug: 1\r\n\r\n");

        // HTTPRewrite.uri "will replace the corresponding matched prefix"; Headers.request set/remove, response add.
        Assert.Equal(200, response.StatusCode);
        Assert.Equal("gateway", response.Header("x-served-by"));
        using var echo = JsonDocument.Parse(response.Body);
        Assert.Equal("/v2/items?page=2", echo.RootElement.GetProperty("path").GetString());
        var headers = echo.RootElement.GetProperty("headers");
        Assert.Equal("test", headers.GetProperty("x-env").GetString());
        Assert.False(headers.TryGetProperty("x-debug", out _));
    }

    [Fact]
    public async Task DirectResponse_AnswersWithoutABackend()
    {
        var response = await SendAsync("GET /teapot HTTP/1.1\r\nHost: actions.example.com\r\n\r\n");

        Assert.Equal(418, response.StatusCode);
        Assert.Equal("short and stout", response.Body);
    }

    [Fact]
    public async Task FaultAbort_AnswersEnvoysAbort()
    {
        var response = await SendAsync("GET /fault HTTP/1.1\r\nHost: actions.example.com\r\n\r\n");

        Assert.Equal(503, response.StatusCode);
        Assert.Equal("fault filter abort", response.Body);
    }

    [Fact]
    public async Task CorsPreflight_IsAnsweredAtTheGateway()
    {
        var response = await SendAsync(
            "OPTIONS /api/items HTTP/1.1\r\nHost: actions.example.com\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: POST\r\n\r\n");

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("https://app.example.com", response.Header("access-control-allow-origin"));
        Assert.Equal("GET,POST", response.Header("access-control-allow-methods"));
        Assert.Equal("3600", response.Header("access-control-max-age"));
        Assert.Null(response.Header("x-echo-name")); // not forwarded
    }

    [Fact]
    public async Task Mirror_SendsAShadowCopyWhileThePrimaryIsAnswered()
    {
        var response = await SendAsync("GET /mirrored HTTP/1.1\r\nHost: actions.example.com\r\n\r\n");
        Assert.Equal("app", response.Header("x-echo-name"));

        // The mirror target is a bare socket: it never answers, which must not have delayed the primary above.
        using var copy = await _shadow.AcceptAsync().DefaultTimeout();
        var head = await ReadHeadAsync(copy);
        Assert.StartsWith("GET /mirrored HTTP/1.1\r\n", head, StringComparison.Ordinal);
        Assert.Contains("\r\nhost: actions.example.com-shadow\r\n", head, StringComparison.OrdinalIgnoreCase);
    }

    private async Task<RawHttpResponse> SendAsync(string request)
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_endPoint);
        await connection.SendAsync(request);
        var response = await connection.ReadResponseAsync();
        Assert.NotNull(response);
        return response;
    }

    private static async Task<string> ReadHeadAsync(Socket socket)
    {
        var buffer = new byte[8192];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read)).DefaultTimeout();
            Assert.NotEqual(0, n);
            read += n;
            var text = Encoding.Latin1.GetString(buffer, 0, read);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                return text;
            }
        }

        throw new InvalidOperationException("no end of head in 8 KiB");
    }

    private static string Yaml(int appPort, int shadowPort) =>
        IstioYaml.Gateway + IstioYaml.ServiceEntry("app", "app.internal", appPort) + IstioYaml.ServiceEntry("shadow", "shadow.internal", shadowPort) + """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: actions
        spec:
          hosts: [actions.example.com]
          gateways: [gw]
          http:
          - match: [{uri: {prefix: /old}}]
            redirect: {uri: /new, redirectCode: 302}
          - match: [{uri: {exact: /teapot}}]
            directResponse: {status: 418, body: {string: short and stout}}
          - match: [{uri: {exact: /fault}}]
            fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
            route: [{destination: {host: app.internal}}]
          - match: [{uri: {exact: /mirrored}}]
            route: [{destination: {host: app.internal}}]
            mirror: {host: shadow.internal}
          - match: [{uri: {prefix: /api}}]
            rewrite: {uri: /v2}
            headers:
              request:
                set: {x-env: test}
                remove: [x-debug]
              response:
                add: {x-served-by: gateway}
            corsPolicy:
              allowOrigins: [{exact: "https://app.example.com"}]
              allowMethods: [GET, POST]
              maxAge: 1h
            route: [{destination: {host: app.internal}}]
        """;
}
