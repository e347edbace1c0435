using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using Proxy.Protocols.Tls;

namespace Proxy.Benchmarks;

/// <summary>
/// Peeking SNI and ALPN from a ClientHello, as a TLS listener does once per connection: a browser-shaped hello (GREASE,
/// 17 extensions, an X25519MLKEM768 key share; 1.9 KiB) in one segment, split at one TCP MSS (1448 bytes), and
/// fragmented into 256-byte records; the hello .NET's own SslStream sends, captured on loopback at setup; and a
/// plaintext HTTP request, rejected on its first byte.
/// </summary>
[MemoryDiagnoser]
public class ClientHelloBenchmark
{
    private const int Mss = 1448;

    private readonly ClientHelloInfo _info = new();
    private ReadOnlySequence<byte> _browser;
    private ReadOnlySequence<byte> _browserSplitAtMss;
    private ReadOnlySequence<byte> _browserRecordsOf256;
    private ReadOnlySequence<byte> _sslStream;
    private ReadOnlySequence<byte> _httpRequest;

    [GlobalSetup]
    public void Setup()
    {
        byte[] message = BrowserHello();
        byte[] wire = Records(message, message.Length);
        _browser = new ReadOnlySequence<byte>(wire);
        _browserSplitAtMss = Split(wire, Mss);
        _browserRecordsOf256 = new ReadOnlySequence<byte>(Records(message, 256));
        _sslStream = new ReadOnlySequence<byte>(CaptureSslStreamHello());
        _httpRequest = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"));

        foreach (ReadOnlySequence<byte> hello in new[] { _browser, _browserSplitAtMss, _browserRecordsOf256, _sslStream })
        {
            if (Read(hello) != ClientHelloStatus.Complete || !_info.OffersAlpn("h2"u8) || _info.GetServerNameString() != "api.example.com")
            {
                throw new InvalidOperationException("A benchmark hello does not read as expected.");
            }
        }
    }

    [Benchmark(Baseline = true)]
    public ClientHelloStatus Browser_OneSegment() => Read(_browser);

    [Benchmark]
    public ClientHelloStatus Browser_SplitAtMss() => Read(_browserSplitAtMss);

    [Benchmark]
    public ClientHelloStatus Browser_RecordsOf256() => Read(_browserRecordsOf256);

    [Benchmark]
    public ClientHelloStatus SslStream_OneSegment() => Read(_sslStream);

    [Benchmark]
    public ClientHelloStatus HttpRequest_NotTls() => Read(_httpRequest);

    private ClientHelloStatus Read(ReadOnlySequence<byte> buffer) => ClientHelloReader.TryRead(buffer, _info);

    /// <summary>Field for field what a current Chrome sends (values from a capture; random and key shares filled).</summary>
    private static byte[] BrowserHello()
    {
        var extensions = new List<byte>();
        void Extension(ushort type, byte[] data) => extensions.AddRange([.. U16(type), .. U16(data.Length), .. data]);
        byte[] Vector16(byte[] data) => [.. U16(data.Length), .. data];
        byte[] U16s(params ushort[] values) => [.. values.SelectMany(v => U16(v))];

        Extension(0x0A0A, []);
        Extension(0, Vector16([0, .. Vector16(Encoding.ASCII.GetBytes("api.example.com"))]));
        Extension(23, []);
        Extension(65281, [0]);
        Extension(10, Vector16(U16s(0x4A4A, 0x11EC, 0x001D, 0x0017, 0x0018)));
        Extension(11, [1, 0]);
        Extension(35, []);
        Extension(16, Vector16([2, .. "h2"u8, 8, .. "http/1.1"u8]));
        Extension(5, [1, 0, 0, 0, 0]);
        Extension(13, Vector16(U16s(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)));
        Extension(18, []);
        Extension(51, Vector16([.. U16s(0x4A4A, 1), 0, .. U16s(0x11EC, 1216), .. new byte[1216], .. U16s(0x001D, 32), .. new byte[32]]));
        Extension(45, [1, 1]);
        Extension(43, [6, .. U16s(0x7A7A, 0x0304, 0x0303)]);
        Extension(27, [2, 0, 2]);
        Extension(17513, [0, 3, 2, .. "h2"u8]);
        Extension(0xFAFA, [0]);

        byte[] body =
        [
            .. U16(0x0303), .. new byte[32], 32, .. new byte[32],
            .. Vector16(U16s(0x2A2A, 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035)),
            1, 0,
            .. Vector16([.. extensions]),
        ];
        return [1, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];
    }

    private static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    private static byte[] Records(byte[] message, int recordSize) =>
        [.. message.Chunk(recordSize).SelectMany(payload => (byte[])[22, 3, 1, .. U16(payload.Length), .. payload])];

    /// <summary>The first handshake message a real SslStream client sends for api.example.com with h2 and http/1.1.</summary>
    private static byte[] CaptureSslStreamHello()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        client.Connect((IPEndPoint)listener.LocalEndpoint);
        using var tls = new SslStream(client.GetStream());
        Task handshake = tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "api.example.com",
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
        });

        byte[] header = new byte[5];
        byte[] hello;
        using (Socket server = listener.AcceptSocket())
        {
            using var stream = new NetworkStream(server);
            stream.ReadExactly(header);
            hello = [.. header, .. new byte[BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(3))]];
            stream.ReadExactly(hello.AsSpan(5));
        }

        // The server side is gone, so the handshake fails; only the hello was wanted.
        _ = handshake.ContinueWith(static t => t.Exception, TaskScheduler.Default);
        return hello;
    }

    private static ReadOnlySequence<byte> Split(byte[] data, int at)
    {
        var first = new Segment(data.AsMemory(0, at), 0);
        var second = new Segment(data.AsMemory(at).ToArray(), at);
        first.SetNext(second);
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
