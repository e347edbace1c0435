using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Tls;

/// <summary>TLS origination: the client speaks plain HTTP, the upstream only TLS; connections pool like plain ones.</summary>
public sealed class OriginationTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task PlainClientReachesATlsUpstreamOverOnePooledConnection()
    {
        using var certificate = _pki.IssueServer("api.external.example");
        await using var backend = new TestBackend(certificate: certificate);
        await using var proxy = await StartAsync(backend, new UpstreamTlsSettings
        {
            Sni = "api.external.example",
            Credentials = new StaticTlsCredentialSource(_pki.Credentials(null)),
        });

        await using var client = await proxy.ConnectAsync();
        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync($"GET /{i} HTTP/1.1\r\nHost: api.external.example\r\n\r\n");
            var response = await client.ReadResponseAsync();
            Assert.Equal(200, response.Status);
            Assert.Equal($"GET /{i}", response.BodyText);
        }

        Assert.Equal(1, backend.ConnectionCount);
        Assert.Equal(["api.external.example"], backend.ServerNames);
        Assert.Equal(1, proxy.Server.Statistics.UpstreamTlsHandshakesCompleted);
    }

    [Fact]
    public async Task AnUntrustedUpstreamCertificateIsAConnectFailure()
    {
        using var otherCa = TestPki.Create("Other CA");
        using var certificate = otherCa.IssueServer("api.external.example");
        await using var backend = new TestBackend(certificate: certificate);
        await using var proxy = await StartAsync(backend, new UpstreamTlsSettings
        {
            Sni = "api.external.example",
            Credentials = new StaticTlsCredentialSource(_pki.Credentials(null)),
        });

        var response = await GetAsync(proxy);
        Assert.Equal(503, response.Status);
        Assert.Contains("upstream connect error", response.BodyText, StringComparison.Ordinal);
        Assert.Empty(backend.Requests);
        Assert.Equal(1, proxy.Server.Statistics.UpstreamTlsHandshakeErrors);
    }

    [Fact]
    public async Task TheCertificateMustNameTheSniUnlessSubjectAltNamesSayOtherwise()
    {
        using var certificate = _pki.IssueServer("internal-name.example");
        await using var backend = new TestBackend(certificate: certificate);

        await using (var strict = await StartAsync(backend, new UpstreamTlsSettings
        {
            Sni = "api.external.example",
            Credentials = new StaticTlsCredentialSource(_pki.Credentials(null)),
        }))
        {
            Assert.Equal(503, (await GetAsync(strict)).Status);
        }

        await using var bySan = await StartAsync(backend, new UpstreamTlsSettings
        {
            Sni = "api.external.example",
            SubjectAltNames = ["internal-name.example"],
            Credentials = new StaticTlsCredentialSource(_pki.Credentials(null)),
        });
        Assert.Equal(200, (await GetAsync(bySan)).Status);
    }

    [Fact]
    public async Task InsecureSkipVerifyAcceptsAnyCertificate()
    {
        using var otherCa = TestPki.Create("Other CA");
        using var certificate = otherCa.IssueServer("whatever.example");
        await using var backend = new TestBackend(certificate: certificate);
        await using var proxy = await StartAsync(backend, new UpstreamTlsSettings { Sni = "api.external.example", InsecureSkipVerify = true });

        Assert.Equal(200, (await GetAsync(proxy)).Status);
    }

    [Fact]
    public async Task MutualOriginationPresentsTheClientCertificate()
    {
        using var serverCertificate = _pki.IssueServer("api.external.example");
        using var clientCertificate = _pki.IssueClient("gateway");
        var seenClient = new TaskCompletionSource<string?>();
        await using var backend = new MutualTlsBackend(serverCertificate, _pki.Ca);
        await using var proxy = await StartAsync(backend.EndPoint, new UpstreamTlsSettings
        {
            Sni = "api.external.example",
            Credentials = new StaticTlsCredentialSource(_pki.Credentials(clientCertificate)),
        });

        await using var client = await proxy.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: api.external.example\r\n\r\n");
        var response = await client.ReadResponseAsync();
        Assert.Equal(200, response.Status);
        Assert.Equal("client=CN=gateway", response.BodyText);
    }

    private static async Task<ClientResponse> GetAsync(ProxyFixture proxy)
    {
        await using var client = await proxy.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: api.external.example\r\n\r\n");
        return await client.ReadResponseAsync();
    }

    private static Task<ProxyFixture> StartAsync(TestBackend backend, UpstreamTlsSettings tls) => StartAsync(backend.EndPoint, tls);

    private static Task<ProxyFixture> StartAsync(System.Net.IPEndPoint backend, UpstreamTlsSettings tls)
    {
        var cluster = new ClusterConfig
        {
            Name = "external",
            Endpoints = [new EndpointConfig("127.0.0.1", backend.Port)],
            Tls = tls,
        };
        return ProxyFixture.StartAsync(new TableRouter().Add("*", "/", new HttpRoute("r", [new WeightedCluster(cluster, 1)])), [cluster]);
    }
}
