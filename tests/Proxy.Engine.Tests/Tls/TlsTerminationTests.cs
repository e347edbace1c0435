using System.Net.Sockets;
using System.Security.Authentication;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Tls;

/// <summary>Termination over real TLS on loopback: certificate choice by SNI, client authentication, ALPN, reload.</summary>
public sealed class TlsTerminationTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    [Theory]
    [InlineData("a.example.com", "a.example.com")]
    [InlineData("x.b.example.com", "*.b.example.com")]
    [InlineData("deep.x.b.example.com", "*.b.example.com")]
    [InlineData("A.EXAMPLE.COM", "a.example.com")]
    public async Task SniPicksTheCertificate(string serverName, string expectedSubject)
    {
        await using var backend = new TestBackend();
        var cluster = ProxyFixture.Cluster("backend", backend.EndPoint);
        await using var proxy = await StartTwoHostsAsync(cluster);

        // A *.b.example.com chain serves deep.x.b.example.com (Envoy's server_names suffix match), though the
        // certificate's wildcard covers one label only: check the chain, not the name.
        await using var client = await TestClient.ConnectTlsAsync(proxy.EndPoint, serverName, _pki.Ca, verifyName: false);
        Assert.Equal($"CN={expectedSubject}", client.RemoteCertificate!.Subject);
        Assert.Equal("http/1.1", client.NegotiatedApplicationProtocol);

        await client.SendAsync($"GET /x HTTP/1.1\r\nHost: {serverName}\r\n\r\n");
        var response = await client.ReadResponseAsync();
        Assert.Equal(200, response.Status);
        Assert.Equal("GET /x", response.BodyText);
        var seen = Assert.Single(backend.Requests);
        Assert.Equal("https", seen.Header("x-forwarded-proto"));
        Assert.Equal(1, proxy.Statistics.TlsHandshakes);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("unknown.example.org")]
    [InlineData("b.example.com")] // *.b.example.com does not cover the bare suffix
    public async Task NoSniOrNoMatchGetsTheFirstServersCertificate(string? serverName)
    {
        await using var backend = new TestBackend();
        var cluster = ProxyFixture.Cluster("backend", backend.EndPoint);
        await using var proxy = await StartTwoHostsAsync(cluster);

        await using var client = await TestClient.ConnectTlsAsync(proxy.EndPoint, serverName, _pki.Ca, verifyName: false);
        Assert.Equal("CN=a.example.com", client.RemoteCertificate!.Subject);
    }

    [Fact]
    public async Task MutualTlsRefusesAClientWithoutACertificate()
    {
        await using var backend = new TestBackend();
        await using var proxy = await StartMutualAsync(backend, TlsClientCertificateMode.Required, []);

        await AssertRefusedAsync(proxy, clientCertificate: null);
        Assert.Empty(backend.Requests);
        Assert.Equal(1, proxy.Statistics.TlsHandshakeFailures);
    }

    [Fact]
    public async Task MutualTlsAcceptsAClientCertificateFromTheCa()
    {
        await using var backend = new TestBackend();
        await using var proxy = await StartMutualAsync(backend, TlsClientCertificateMode.Required, []);
        using var clientCertificate = _pki.IssueClient("client-1");

        Assert.Equal(200, await GetAsync(proxy, clientCertificate));
    }

    [Fact]
    public async Task MutualTlsRefusesACertificateFromAnotherCa()
    {
        await using var backend = new TestBackend();
        await using var proxy = await StartMutualAsync(backend, TlsClientCertificateMode.Required, []);
        using var otherCa = TestPki.Create("Other CA");
        using var stranger = otherCa.IssueClient("stranger");

        await AssertRefusedAsync(proxy, stranger);
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task SubjectAltNamesMustMatchTheClientCertificate()
    {
        await using var backend = new TestBackend();
        await using var proxy = await StartMutualAsync(
            backend, TlsClientCertificateMode.Required, ["spiffe://cluster.local/ns/default/sa/allowed"]);
        using var allowed = _pki.IssueClient("allowed", uri: "spiffe://cluster.local/ns/default/sa/allowed");
        using var other = _pki.IssueClient("other", uri: "spiffe://cluster.local/ns/default/sa/other");

        Assert.Equal(200, await GetAsync(proxy, allowed));
        await AssertRefusedAsync(proxy, other);
    }

    [Fact]
    public async Task OptionalMutualAcceptsWithAndWithoutACertificateButNotABadOne()
    {
        await using var backend = new TestBackend();
        await using var proxy = await StartMutualAsync(backend, TlsClientCertificateMode.Optional, []);
        using var clientCertificate = _pki.IssueClient("client-1");
        using var otherCa = TestPki.Create("Other CA");
        using var stranger = otherCa.IssueClient("stranger");

        Assert.Equal(200, await GetAsync(proxy, clientCertificate));
        Assert.Equal(200, await GetAsync(proxy, clientCertificate: null));
        await AssertRefusedAsync(proxy, stranger);
    }

    [Fact]
    public async Task NewHandshakesUseReloadedCredentialsWhileOpenConnectionsKeepWorking()
    {
        await using var backend = new TestBackend();
        var cluster = ProxyFixture.Cluster("backend", backend.EndPoint);
        using var first = _pki.IssueServer("api.example.com", "first.example.com");
        using var second = _pki.IssueServer("api.example.com", "second.example.com");
        var credentials = new SwappableCredentials(_pki.Credentials(first));
        await using var proxy = await TlsProxyFixture.StartAsync(
            e => Listener(e, Terminating("api", ["api.example.com"], credentials, cluster)), [cluster]);

        await using var before = await TestClient.ConnectTlsAsync(proxy.EndPoint, "api.example.com", _pki.Ca);
        Assert.Contains("first.example.com", SanOf(before), StringComparison.Ordinal);

        credentials.Swap(_pki.Credentials(second));

        await using var after = await TestClient.ConnectTlsAsync(proxy.EndPoint, "api.example.com", _pki.Ca);
        Assert.Contains("second.example.com", SanOf(after), StringComparison.Ordinal);

        // The connection made before the swap still carries requests.
        await before.SendAsync("GET /still HTTP/1.1\r\nHost: api.example.com\r\n\r\n");
        Assert.Equal(200, (await before.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task Tls12OnlyListenerRefusesATls13OnlyClient()
    {
        await using var backend = new TestBackend();
        var cluster = ProxyFixture.Cluster("backend", backend.EndPoint);
        using var certificate = _pki.IssueServer("api.example.com");
        var chain = Terminating("api", ["api.example.com"], new StaticTlsCredentialSource(_pki.Credentials(certificate)), cluster, protocols: SslProtocols.Tls12);
        await using var proxy = await TlsProxyFixture.StartAsync(e => Listener(e, chain), [cluster]);

        var options = TestPki.ClientOptions("api.example.com", _pki.Ca);
        options.EnabledSslProtocols = SslProtocols.Tls13;
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(proxy.EndPoint);
        await using var ssl = new System.Net.Security.SslStream(new NetworkStream(socket));
        await Assert.ThrowsAnyAsync<Exception>(() => ssl.AuthenticateAsClientAsync(options).WaitAsync(TestTimeouts.Default));

        await using var tls12 = await TestClient.ConnectTlsAsync(proxy.EndPoint, "api.example.com", _pki.Ca);
        await tls12.SendAsync("GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n");
        Assert.Equal(200, (await tls12.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task ConfiguredCipherSuitesAreTheOnlyTls12SuitesOffered()
    {
        await using var backend = new TestBackend();
        var cluster = ProxyFixture.Cluster("backend", backend.EndPoint);
        using var certificate = _pki.IssueServer("api.example.com");
        var chain = Terminating("api", ["api.example.com"], new StaticTlsCredentialSource(_pki.Credentials(certificate)), cluster,
            protocols: SslProtocols.Tls12, ciphers: [System.Net.Security.TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]);
        await using var proxy = await TlsProxyFixture.StartAsync(e => Listener(e, chain), [cluster]);

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(proxy.EndPoint);
        await using var ssl = new System.Net.Security.SslStream(new NetworkStream(socket));
        await ssl.AuthenticateAsClientAsync(TestPki.ClientOptions("api.example.com", _pki.Ca)).WaitAsync(TestTimeouts.Default);
        Assert.Equal(System.Net.Security.TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, ssl.NegotiatedCipherSuite);
    }

    private static string SanOf(TestClient client)
        => client.RemoteCertificate!.Extensions["2.5.29.17"]!.Format(multiLine: false);

    private async Task<TlsProxyFixture> StartTwoHostsAsync(ClusterConfig cluster)
    {
        var a = _pki.IssueServer("a.example.com");
        var b = _pki.IssueServer("*.b.example.com");
        return await TlsProxyFixture.StartAsync(
            e => Listener(
                e,
                Terminating("a", ["a.example.com"], new StaticTlsCredentialSource(_pki.Credentials(a)), cluster),
                Terminating("b", ["*.b.example.com"], new StaticTlsCredentialSource(_pki.Credentials(b)), cluster)),
            [cluster]);
    }

    private async Task<TlsProxyFixture> StartMutualAsync(TestBackend backend, TlsClientCertificateMode mode, IReadOnlyList<string> subjectAltNames)
    {
        var cluster = ProxyFixture.Cluster("backend", backend.EndPoint);
        var certificate = _pki.IssueServer("api.example.com");
        var chain = new TlsFilterChain
        {
            Name = "mutual",
            ServerNames = ["api.example.com"],
            Termination = new TlsServerSettings
            {
                Credentials = new StaticTlsCredentialSource(_pki.Credentials(certificate)),
                ClientCertificateMode = mode,
                SubjectAltNames = subjectAltNames,
            },
            Router = AllTo(cluster),
        };
        return await TlsProxyFixture.StartAsync(e => Listener(e, chain), [cluster]);
    }

    private async Task<int> GetAsync(TlsProxyFixture proxy, System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate)
    {
        await using var client = await TestClient.ConnectTlsAsync(proxy.EndPoint, "api.example.com", _pki.Ca, clientCertificate);
        await client.SendAsync("GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n");
        return (await client.ReadResponseAsync()).Status;
    }

    /// <summary>
    /// Refused: the handshake fails, or (TLS 1.3, where the client finishes before the server has checked its
    /// certificate) the first read finds the connection closed with an alert and no response.
    /// </summary>
    private async Task AssertRefusedAsync(TlsProxyFixture proxy, System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate)
    {
        TestClient client;
        try
        {
            client = await TestClient.ConnectTlsAsync(proxy.EndPoint, "api.example.com", _pki.Ca, clientCertificate);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            return;
        }

        await using (client)
        {
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                await client.SendAsync("GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n");
                await client.ReadResponseAsync();
            });
        }
    }

    internal static ListenerConfig Listener(System.Net.IPEndPoint endPoint, params TlsFilterChain[] chains)
        => new() { Name = "tls", EndPoint = endPoint, TlsFilterChains = chains };

    internal static TlsFilterChain Terminating(
        string name, IReadOnlyList<string> serverNames, ITlsCredentialSource credentials, ClusterConfig cluster,
        SslProtocols protocols = SslProtocols.Tls12 | SslProtocols.Tls13, IReadOnlyList<System.Net.Security.TlsCipherSuite>? ciphers = null) => new()
    {
        Name = name,
        ServerNames = serverNames,
        Termination = new TlsServerSettings { Credentials = credentials, Protocols = protocols, CipherSuites = ciphers },
        Router = AllTo(cluster),
    };

    internal static TableRouter AllTo(ClusterConfig cluster)
        => new TableRouter().Add("*", "/", new HttpRoute("all", [new WeightedCluster(cluster, 1)]));
}
