using System.Net;
using System.Security.Cryptography.X509Certificates;
using Proxy.Hosting;

namespace Proxy.Host.Tests.Examples;

/// <summary>
/// examples/https-ingress served as its README says: the two echo backends, certificates in the layout make-certs.sh
/// writes (generated here instead), and the gateway with <c>--credentials-dir certs</c>. The only edit to the YAML
/// moves the backends from 127.0.0.1:9081 and :9082 to free ports; the gateway's 8443 and 8080 bind free ports through
/// port overrides.
/// </summary>
public sealed class HttpsIngressExampleFixture : IAsyncLifetime
{
    internal const string Example = "https-ingress";
    internal const string ConfigFile = "gateway.yaml";

    internal TestCertificateAuthority Ca { get; private set; } = null!;

    /// <summary>A client certificate the example's CA issued (certs/client).</summary>
    internal X509Certificate2 ClientCertificate { get; private set; } = null!;

    internal ExampleDirectory Directory { get; private set; } = null!;

    internal EchoServer Bookinfo { get; private set; } = null!;

    internal EchoServer Secure { get; private set; } = null!;

    internal ProxyGateway Gateway { get; private set; } = null!;

    internal IPEndPoint HttpsEndPoint => Gateway.GetBoundEndPoint("127.0.0.1_8443")!;

    internal IPEndPoint HttpEndPoint => Gateway.GetBoundEndPoint("127.0.0.1_8080")!;

    public async Task InitializeAsync()
    {
        Ca = TestCertificateAuthority.Create();
        Bookinfo = EchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 0), "bookinfo");
        Secure = EchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 0), "secure");
        Directory = new ExampleDirectory(Example);
        Directory.Edit(ConfigFile, "http: 9081", $"http: {Bookinfo.EndPoint.Port}");
        Directory.Edit(ConfigFile, "http: 9082", $"http: {Secure.EndPoint.Port}");
        ClientCertificate = WriteCertificates(Ca, Directory.PathOf("certs"));
        Gateway = await ExampleGateway.StartAsync(Directory.Root, Directory.PathOf("certs"), 8443, 8080);
    }

    public async Task DisposeAsync()
    {
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync().AsTask().WaitAsync(ExampleGateway.Timeout);
        }

        if (Bookinfo is not null)
        {
            await Bookinfo.DisposeAsync();
        }

        if (Secure is not null)
        {
            await Secure.DisposeAsync();
        }

        ClientCertificate?.Dispose();
        Directory?.Dispose();
        Ca?.Dispose();
    }

    /// <summary>
    /// make-certs.sh's layout in <paramref name="certs"/>: ca.crt, bookinfo-credential/ and secure/ server credentials
    /// and client/; returns the client certificate, with its key.
    /// </summary>
    internal static X509Certificate2 WriteCertificates(TestCertificateAuthority ca, string certs)
    {
        ca.WriteCertificate(Path.Combine(certs, "ca.crt"));
        using (var bookinfo = ca.IssueServer("bookinfo.example.com"))
        {
            TestCertificateAuthority.WriteTlsFiles(Path.Combine(certs, "bookinfo-credential"), bookinfo);
        }

        using (var secure = ca.IssueServer("secure.example.com"))
        {
            TestCertificateAuthority.WriteTlsFiles(Path.Combine(certs, "secure"), secure);
        }

        var client = ca.IssueClient("client.example.com");
        TestCertificateAuthority.WriteTlsFiles(Path.Combine(certs, "client"), client);
        return client;
    }
}
