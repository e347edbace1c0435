using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Proxy.Hosting;
using Proxy.Istio;

namespace Proxy.Host.Tests.Examples;

/// <summary>
/// L4 from Istio YAML to bytes: a Gateway with a TLS PASSTHROUGH server routed by VirtualService <c>tls</c> routes on
/// sniHosts (two TLS backends; the client verifies each backend's own certificate, so the gateway never decrypted),
/// and a TCP server routed by a <c>tcp</c> route to an echo over a half-closed client connection.
/// </summary>
public sealed class L4GatewayTests
{
    private const string Yaml = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: edge}
        spec:
          servers:
          - port: {number: 9443, name: tls-passthrough, protocol: TLS}
            hosts: ["*.example.com"]
            tls: {mode: PASSTHROUGH}
          - port: {number: 9500, name: tcp, protocol: TCP}
            hosts: ["*"]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: one}
        spec:
          hosts: [one.internal]
          ports: [{number: 443, name: tls, protocol: TLS, targetPort: ONE_PORT}]
          resolution: STATIC
          endpoints: [{address: 127.0.0.1}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: two}
        spec:
          hosts: [two.internal]
          ports: [{number: 443, name: tls, protocol: TLS, targetPort: TWO_PORT}]
          resolution: STATIC
          endpoints: [{address: 127.0.0.1}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: echo}
        spec:
          hosts: [echo.internal]
          ports: [{number: 7, name: tcp, protocol: TCP, targetPort: ECHO_PORT}]
          resolution: STATIC
          endpoints: [{address: 127.0.0.1}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: by-sni}
        spec:
          hosts: ["*.example.com"]
          gateways: [edge]
          tls:
          - match: [{sniHosts: [one.example.com]}]
            route: [{destination: {host: one.internal, port: {number: 443}}}]
          - match: [{sniHosts: ["*.example.com"]}]
            route: [{destination: {host: two.internal, port: {number: 443}}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: echo}
        spec:
          hosts: ["*"]
          gateways: [edge]
          tcp:
          - match: [{port: 9500}]
            route: [{destination: {host: echo.internal, port: {number: 7}}}]
        """;

    [Fact]
    public async Task PassthroughBySniAndTcpEcho()
    {
        using var ca = TestCertificateAuthority.Create();
        using var oneCertificate = ca.IssueServer("one.example.com");
        using var twoCertificate = ca.IssueServer("two.example.com");
        await using var one = new TlsHttpBackend(oneCertificate);
        await using var two = new TlsHttpBackend(twoCertificate);
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        echo.Listen();
        var echoLoop = EchoOnceAsync(echo);

        var yaml = Yaml.Replace("ONE_PORT", one.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("TWO_PORT", two.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("ECHO_PORT", ((IPEndPoint)echo.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var options = new ProxyGatewayOptions
        {
            ListenAddress = IPAddress.Loopback,
            AdminEndPoint = null,
            PortOverrides = { [9443] = 0, [9500] = 0 },
        };
        options.ConfigSources.Add(new IstioSource("l4.yaml", yaml));
        await using var gateway = await ProxyGateway.StartAsync(options).WaitAsync(ExampleGateway.Timeout);
        var tls = gateway.GetBoundEndPoint("127.0.0.1_9443")!;

        Assert.Equal("CN=one.example.com", await HandshakeSubjectAsync(tls, "one.example.com", ca));
        Assert.Equal("CN=two.example.com", await HandshakeSubjectAsync(tls, "two.example.com", ca));
        Assert.Equal("CN=two.example.com", await HandshakeSubjectAsync(tls, "other.example.com", ca, verifyName: false));
        Assert.Equal(["one.example.com"], one.Sessions.Select(s => s.ServerName));
        Assert.Equal(["two.example.com", "other.example.com"], two.Sessions.Select(s => s.ServerName));

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(gateway.GetBoundEndPoint("127.0.0.1_9500")!).WaitAsync(ExampleGateway.Timeout);
        await client.SendAsync("ping over tcp"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        var received = new List<byte>();
        var buffer = new byte[1024];
        int n;
        while ((n = await client.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(ExampleGateway.Timeout)) > 0)
        {
            received.AddRange(buffer.AsSpan(0, n));
        }

        Assert.Equal("ping over tcp", Encoding.ASCII.GetString([.. received]));
        await echoLoop.WaitAsync(ExampleGateway.Timeout);
    }

    private static async Task<string> HandshakeSubjectAsync(IPEndPoint endPoint, string serverName, TestCertificateAuthority ca, bool verifyName = true)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint).WaitAsync(ExampleGateway.Timeout);
        await using var ssl = new SslStream(new NetworkStream(socket));
        var trust = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        trust.CustomTrustStore.Add(ca.Certificate);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            CertificateChainPolicy = trust,
            RemoteCertificateValidationCallback = verifyName
                ? null
                : static (_, _, _, errors) => (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None,
        }).WaitAsync(ExampleGateway.Timeout);

        // One request, so the backend records the session before the connection closes.
        await ssl.WriteAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {serverName}\r\n\r\n"));
        var buffer = new byte[1024];
        Assert.NotEqual(0, await ssl.ReadAsync(buffer).AsTask().WaitAsync(ExampleGateway.Timeout));
        return ssl.RemoteCertificate!.Subject;
    }

    /// <summary>Accepts one connection and echoes it until the client's FIN, then closes (FIN) in turn.</summary>
    private static async Task EchoOnceAsync(Socket listener)
    {
        using var socket = await listener.AcceptAsync();
        var buffer = new byte[1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer.AsMemory())) > 0)
        {
            await socket.SendAsync(buffer.AsMemory(0, n));
        }

        socket.Shutdown(SocketShutdown.Send);
    }
}
