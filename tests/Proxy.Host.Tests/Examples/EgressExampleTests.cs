using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Proxy.Host.Tests.Cli;
using Proxy.Hosting;

namespace Proxy.Host.Tests.Examples;

/// <summary>
/// examples/egress end to end: a client speaks plain HTTP to the gateway, which originates TLS to the external host. The
/// external host is a TLS-only backend on 127.0.0.1 holding a certificate for api.external.example from a test CA.
/// </summary>
public sealed class EgressExampleTests : IAsyncLifetime
{
    private const string Example = "egress";
    private const string ConfigFile = "gateway.yaml";
    private const string ExternalHost = "api.external.example";

    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("Test External CA");
    private readonly ExampleDirectory _example = new(Example);
    private X509Certificate2 _backendCertificate = null!;
    private TlsHttpBackend _backend = null!;
    private ProxyGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _backendCertificate = _ca.IssueServer(ExternalHost);
        _backend = new TlsHttpBackend(_backendCertificate);

        // Two edits keep the test on 127.0.0.1; everything else is the example as committed (its port 8080 binds a free
        // port through a port override, not an edit):
        // 1. the ServiceEntry finds api.external.example by DNS on port 443; here its one endpoint is the backend;
        // 2. the DestinationRule trusts the system CAs; here it trusts the test CA that issued the backend's certificate.
        _ca.WriteCertificate(_example.PathOf("certs/ca.crt"));
        _example.Edit(ConfigFile, "  resolution: DNS\n",
            $"  resolution: STATIC\n  endpoints:\n  - address: 127.0.0.1\n    ports:\n      https-port: {_backend.EndPoint.Port}\n");
        _example.Edit(ConfigFile, "        sni: api.external.example\n",
            "        sni: api.external.example\n        caCertificates: certs/ca.crt\n");
        _gateway = await ExampleGateway.StartAsync(_example.Root, credentialsDirectory: null, 8080);
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync().AsTask().WaitAsync(ExampleGateway.Timeout);
        }

        if (_backend is not null)
        {
            await _backend.DisposeAsync().AsTask().WaitAsync(ExampleGateway.Timeout);
        }

        _backendCertificate?.Dispose();
        _example.Dispose();
        _ca.Dispose();
    }

    [Fact]
    public async Task PlainHttpToGateway_ReachesTheTlsBackendWithItsSni_AndReusesOneUpstreamTlsConnection()
    {
        // One client connection at a time: the second request is read only after the first exchange finished and
        // its upstream connection went back to the gateway's pool.
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, MaxConnectionsPerServer = 1 })
        {
            Timeout = ExampleGateway.Timeout,
        };
        var gateway = _gateway.GetBoundEndPoint("127.0.0.1_8080")!;

        var bodies = new List<string>();
        foreach (var path in new[] { "/status/first", "/status/second" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{gateway}{path}");
            request.Headers.Host = ExternalHost;
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            bodies.Add(await response.Content.ReadAsStringAsync());
        }

        var session = Assert.Single(_backend.Sessions);
        Assert.Equal(ExternalHost, session.ServerName);
        Assert.True(session.Protocol is SslProtocols.Tls12 or SslProtocols.Tls13, session.Protocol.ToString());
        Assert.Equal(
            [new BackendRequest(session.Id, "GET /status/first HTTP/1.1", ExternalHost), new BackendRequest(session.Id, "GET /status/second HTTP/1.1", ExternalHost)],
            _backend.Requests);
        Assert.Equal([$"tls backend: session {session.Id}, request 1\n", $"tls backend: session {session.Id}, request 2\n"], bodies);
    }

    // An upstream that closes its connection after a response (HTTP/1.0, "connection: close", a keep-alive limit) must
    // not cost the client its keep-alive connection: the gateway answers the client, drops the upstream connection,
    // and serves the client's next request on a new one.
    [Fact]
    public async Task UpstreamClosesAfterEachResponse_ClientConnectionStaysOpenForTheNextRequest()
    {
        _backend.CloseAfterResponse = true;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_gateway.GetBoundEndPoint("127.0.0.1_8080")!).WaitAsync(ExampleGateway.Timeout);
        await using var connection = new NetworkStream(socket);
        using var reader = new StreamReader(connection, Encoding.Latin1);

        var first = await ExchangeAsync(connection, reader, "/first");
        var second = await ExchangeAsync(connection, reader, "/second");

        Assert.Equal("HTTP/1.1 200 OK", first);
        Assert.Equal("HTTP/1.1 200 OK", second);
        Assert.Equal(2, _backend.Sessions.Count);
    }

    [Fact]
    public async Task Validate_ExampleAsCommitted_Exits0WithoutWarnings()
    {
        var result = await CliRunner.RunAsync("validate", "--config", _example.Source);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("configuration is valid", result.Stdout, StringComparison.Ordinal);
        Assert.Empty(result.Stderr);
    }

    /// <summary>Sends a GET for <paramref name="path"/> on a client keep-alive connection and reads the whole response
    /// (Content-Length framed); returns its status line, or null if the gateway closed the connection instead.</summary>
    private static async Task<string?> ExchangeAsync(NetworkStream connection, StreamReader reader, string path)
    {
        await connection.WriteAsync(Encoding.Latin1.GetBytes($"GET {path} HTTP/1.1\r\nHost: {ExternalHost}\r\n\r\n"));
        var status = await reader.ReadLineAsync().WaitAsync(ExampleGateway.Timeout);
        var length = 0;
        for (var line = status; !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync().WaitAsync(ExampleGateway.Timeout))
        {
            if (line.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(line.AsSpan("content-length:".Length), CultureInfo.InvariantCulture);
            }
        }

        var body = new char[length];
        await reader.ReadBlockAsync(body).AsTask().WaitAsync(ExampleGateway.Timeout);
        return status;
    }
}
