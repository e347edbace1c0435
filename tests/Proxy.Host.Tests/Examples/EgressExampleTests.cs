using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
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

    [Fact]
    public async Task Validate_ExampleAsCommitted_Exits0WithoutWarnings()
    {
        var result = await CliRunner.RunAsync("validate", "--config", _example.Source);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("configuration is valid", result.Stdout, StringComparison.Ordinal);
        Assert.Empty(result.Stderr);
    }
}
