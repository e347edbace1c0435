using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Proxy.Hosting;

namespace Proxy.Host.Tests.Examples;

/// <summary>
/// Certificate rotation on a running gateway, as cert-manager or a Kubernetes secret update does it: the credential
/// files of examples/https-ingress are rewritten in place; new handshakes get the new certificate within a few seconds
/// (the files are checked at most once a second), and a connection opened before keeps working.
/// </summary>
public sealed class CertificateReloadTests
{
    [Fact]
    public async Task RewrittenCredentialFiles_ServeNewHandshakes_OpenConnectionsKeepWorking()
    {
        using var ca = TestCertificateAuthority.Create();
        await using var echo = EchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 0), "bookinfo");
        using var example = new ExampleDirectory(HttpsIngressExampleFixture.Example);
        example.Edit(HttpsIngressExampleFixture.ConfigFile, "http: 9081", $"http: {echo.EndPoint.Port}");
        HttpsIngressExampleFixture.WriteCertificates(ca, example.PathOf("certs")).Dispose();
        await using var gateway = await ExampleGateway.StartAsync(example.Root, example.PathOf("certs"), 8443, 8080);
        var endPoint = gateway.GetBoundEndPoint("127.0.0.1_8443")!;

        await using var before = await ConnectAsync(endPoint, ca);
        var oldSerial = before.RemoteCertificate!.GetSerialNumberString();
        Assert.Equal(200, await GetStatusAsync(before));

        using var rotated = ca.IssueServer("bookinfo.example.com");
        TestCertificateAuthority.WriteTlsFiles(example.PathOf("certs/bookinfo-credential"), rotated);

        // Poll new handshakes (never sleep a fixed time): the rotated certificate must appear within the timeout.
        var deadline = Stopwatch.StartNew();
        string serial;
        do
        {
            await using var probe = await ConnectAsync(endPoint, ca);
            serial = probe.RemoteCertificate!.GetSerialNumberString();
            if (serial != rotated.GetSerialNumberString())
            {
                Assert.Equal(oldSerial, serial);
                await Task.Delay(50);
            }
        }
        while (serial != rotated.GetSerialNumberString() && deadline.Elapsed < ExampleGateway.Timeout);

        Assert.Equal(rotated.GetSerialNumberString(), serial);

        // The connection made with the old certificate still carries requests.
        Assert.Equal(200, await GetStatusAsync(before));
    }

    private static async Task<SslStream> ConnectAsync(IPEndPoint endPoint, TestCertificateAuthority ca)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint).WaitAsync(ExampleGateway.Timeout);
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
        var trust = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        trust.CustomTrustStore.Add(ca.Certificate);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "bookinfo.example.com",
            CertificateChainPolicy = trust,
        }).WaitAsync(ExampleGateway.Timeout);
        return ssl;
    }

    private static async Task<int> GetStatusAsync(SslStream ssl)
    {
        await ssl.WriteAsync(Encoding.ASCII.GetBytes("GET /reload HTTP/1.1\r\nHost: bookinfo.example.com\r\n\r\n"));

        // Read the head and the body by content-length so the connection stays usable for the next request.
        var received = new List<byte>();
        var buffer = new byte[4096];
        int headEnd;
        while ((headEnd = IndexOfHeadEnd(received)) < 0)
        {
            var n = await ssl.ReadAsync(buffer).AsTask().WaitAsync(ExampleGateway.Timeout);
            Assert.NotEqual(0, n);
            received.AddRange(buffer.AsSpan(0, n));
        }

        var head = Encoding.ASCII.GetString(received.ToArray(), 0, headEnd);
        var lengthLine = head.Split("\r\n").First(l => l.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase));
        var length = int.Parse(lengthLine["content-length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        while (received.Count < headEnd + 4 + length)
        {
            var n = await ssl.ReadAsync(buffer).AsTask().WaitAsync(ExampleGateway.Timeout);
            Assert.NotEqual(0, n);
            received.AddRange(buffer.AsSpan(0, n));
        }

        return int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int IndexOfHeadEnd(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}
