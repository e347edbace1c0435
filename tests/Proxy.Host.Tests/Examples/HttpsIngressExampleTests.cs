using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Proxy.Host.Tests.Cli;

namespace Proxy.Host.Tests.Examples;

/// <summary>
/// examples/https-ingress end to end: the README's curl commands, made with HttpClient. A request to
/// <c>https://NAME:8443/</c> connects to the gateway's 8443 listener (as <c>curl --resolve NAME:8443:127.0.0.1</c>),
/// so NAME is both the SNI and the Host header, and the server certificate must chain to the example CA (--cacert).
/// </summary>
public sealed class HttpsIngressExampleTests(HttpsIngressExampleFixture fixture) : IClassFixture<HttpsIngressExampleFixture>
{
    [Fact]
    public async Task Bookinfo_SimpleTls_ServesTheBookinfoCertificateAndRoutesToItsEcho()
    {
        var subjects = new List<string>();
        using var client = HttpsClient(subjects, clientCertificate: null);

        using var response = await client.GetAsync("https://bookinfo.example.com:8443/productpage");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["CN=bookinfo.example.com"], subjects);
        Assert.Equal("bookinfo", Assert.Single(response.Headers.GetValues("x-echo-name")));
        Assert.Contains("\"path\":\"/productpage\"", body, StringComparison.Ordinal);
        Assert.Contains("\"x-forwarded-proto\":\"https\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secure_MutualWithClientCertificateFromTheCa_ServesTheSecureCertificateAndRoutesToItsEcho()
    {
        var subjects = new List<string>();
        using var client = HttpsClient(subjects, fixture.ClientCertificate);

        using var response = await client.GetAsync("https://secure.example.com:8443/hello");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["CN=secure.example.com"], subjects);
        Assert.Equal("secure", Assert.Single(response.Headers.GetValues("x-echo-name")));
    }

    // The client accepted the server certificate, so the refusal is the gateway's. With TLS 1.3 the client's side of
    // the handshake completes before the server checks the client certificate, so the refusal shows as the connection
    // closing without a response.
    [Fact]
    public async Task Secure_MutualWithoutClientCertificate_Refused()
    {
        var subjects = new List<string>();
        using var client = HttpsClient(subjects, clientCertificate: null);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("https://secure.example.com:8443/hello"));

        Assert.Contains("CN=secure.example.com", subjects);
    }

    [Fact]
    public async Task Secure_MutualWithClientCertificateFromAnotherCa_Refused()
    {
        using var otherCa = TestCertificateAuthority.Create("Some Other CA");
        using var stranger = otherCa.IssueClient("client.example.com");
        var subjects = new List<string>();
        using var client = HttpsClient(subjects, stranger);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("https://secure.example.com:8443/hello"));

        Assert.Contains("CN=secure.example.com", subjects);
    }

    // gateway.proto httpsRedirect: "send a 301 redirect for all http connections, asking the clients to use HTTPS".
    [Theory]
    [InlineData("bookinfo.example.com", "/productpage?id=1")]
    [InlineData("secure.example.com", "/")]
    public async Task Http_HttpsRedirect_Answers301ToTheSameHostAndTargetOverHttps(string host, string target)
    {
        using var client = ExampleGateway.PlainClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{fixture.HttpEndPoint}{target}");
        request.Headers.Host = host;

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal(new Uri($"https://{host}{target}"), response.Headers.Location);
    }

    [Fact]
    public async Task Validate_ExampleWithGeneratedCertificates_Exits0WithoutWarnings()
    {
        using var example = new ExampleDirectory(HttpsIngressExampleFixture.Example);
        using var ca = TestCertificateAuthority.Create();
        HttpsIngressExampleFixture.WriteCertificates(ca, example.PathOf("certs")).Dispose();

        var result = await CliRunner.RunAsync("validate", "--config", example.Root, "--credentials-dir", example.PathOf("certs"));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("configuration is valid", result.Stdout, StringComparison.Ordinal);
        Assert.Empty(result.Stderr);
    }

    /// <summary>
    /// An HTTPS client that trusts only the example CA, records the subject of each server certificate it is shown, and
    /// offers <paramref name="clientCertificate"/> whenever the server asks (as <c>curl --cert</c> does, whatever CAs the
    /// server names).
    /// </summary>
    private HttpClient HttpsClient(List<string> serverSubjects, X509Certificate2? clientCertificate)
    {
        var trust = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        trust.CustomTrustStore.Add(fixture.Ca.Certificate);
        var gateway = fixture.HttpsEndPoint;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(gateway.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(gateway, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = trust,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    lock (serverSubjects)
                    {
                        serverSubjects.Add(certificate?.Subject ?? "(none)");
                    }

                    return errors == SslPolicyErrors.None;
                },
                LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
            },
        };
        return new HttpClient(handler) { Timeout = ExampleGateway.Timeout };
    }
}
