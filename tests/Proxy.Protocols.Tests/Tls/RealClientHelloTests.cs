using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Proxy.Protocols.Tests.TestInfrastructure;
using Proxy.Protocols.Tls;

namespace Proxy.Protocols.Tests.Tls;

/// <summary>
/// Hellos written by real TLS stacks, captured on a loopback listener: proof that the reader parses what clients
/// send, not only what our builder writes.
/// </summary>
public class RealClientHelloTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task TryRead_SslStreamClientHello_ServerNameAlpnAndVersions()
    {
        byte[] wire = await CaptureAsync(static async endpoint =>
        {
            using var client = new TcpClient();
            await client.ConnectAsync(endpoint);
            using var tls = new SslStream(client.GetStream());
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = "api.example.com",
                ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
            };

            // The server closes after the hello, so the handshake fails; only what the client sent matters.
            await Assert.ThrowsAnyAsync<Exception>(() => tls.AuthenticateAsClientAsync(options));
        });

        HelloResult expected = ClientHelloRead.Read(wire);
        Assert.Equal(ClientHelloStatus.Complete, expected.Status);
        Assert.Equal("api.example.com", expected.ServerName);
        Assert.Equal("h2,http/1.1", expected.Alpn);
        Assert.Equal(0x0303, expected.LegacyVersion);
        AssertSameAnySplit(wire, expected);
    }

    [OpenSslFact]
    public async Task TryRead_OpenSslClientHello_ServerNameLowerCasedAndAlpn()
    {
        byte[] wire = await CaptureAsync(static async endpoint =>
        {
            var start = new ProcessStartInfo(OpenSslFactAttribute.OpenSslPath!)
            {
                ArgumentList = { "s_client", "-connect", endpoint.ToString(), "-servername", "Mixed.Example.ORG", "-alpn", "h2,http/1.1", "-tls1_3" },
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using Process process = Process.Start(start)!;
            Task drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            try
            {
                await process.WaitForExitAsync().WaitAsync(Timeout);
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }
            }

            await drain.WaitAsync(Timeout);
        });

        HelloResult expected = ClientHelloRead.Read(wire);
        Assert.Equal(HelloResult.Hello("mixed.example.org", "h2,http/1.1", tls13: true), expected);
        AssertSameAnySplit(wire, expected);
    }

    private static void AssertSameAnySplit(byte[] wire, HelloResult expected)
    {
        foreach (SplitMode mode in Enum.GetValues<SplitMode>())
        {
            foreach (var buffer in SegmentedSequence.Sequences(wire, mode))
            {
                Assert.Equal(expected, ClientHelloRead.Read(buffer));
            }
        }

        for (int length = 0; length < wire.Length; length++)
        {
            Assert.Equal(ClientHelloStatus.NeedMoreData, ClientHelloRead.Read(wire[..length]).Status);
        }

        // The same hello re-framed into small records, as a client may send it.
        byte[] fragmented = ClientHelloBuilder.FrameEvery(Payloads(wire), 37);
        Assert.Equal(expected, ClientHelloRead.Read(fragmented));
    }

    /// <summary>
    /// Runs <paramref name="client"/> against a loopback listener and returns the records it sent until its first
    /// handshake message was whole, found with the record and handshake lengths (not with the reader under test).
    /// </summary>
    private static async Task<byte[]> CaptureAsync(Func<IPEndPoint, Task> client)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task clientTask = client((IPEndPoint)listener.LocalEndpoint);

        var wire = new List<byte>();
        using (Socket server = await listener.AcceptSocketAsync().WaitAsync(Timeout))
        {
            using var stream = new NetworkStream(server, ownsSocket: false);
            var handshake = new List<byte>();
            while (handshake.Count < 4 || handshake.Count < 4 + ((handshake[1] << 16) | (handshake[2] << 8) | handshake[3]))
            {
                byte[] header = await ReadExactlyAsync(stream, 5);
                Assert.Equal(22, header[0]);
                byte[] payload = await ReadExactlyAsync(stream, BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(3)));
                wire.AddRange(header);
                wire.AddRange(payload);
                handshake.AddRange(payload);
            }

            server.Shutdown(SocketShutdown.Both);
        }

        await clientTask.WaitAsync(Timeout);
        return [.. wire];
    }

    private static async Task<byte[]> ReadExactlyAsync(NetworkStream stream, int count)
    {
        byte[] buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(Timeout);
        return buffer;
    }

    /// <summary>The handshake bytes of <paramref name="wire"/>, record headers removed.</summary>
    private static byte[] Payloads(byte[] wire)
    {
        var payloads = new List<byte>();
        for (int offset = 0; offset < wire.Length; offset += 5 + BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(offset + 3)))
        {
            payloads.AddRange(wire.AsSpan(offset + 5, BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(offset + 3))).ToArray());
        }

        return [.. payloads];
    }
}
