using System.Text;
using Proxy.Protocols.Tests.TestInfrastructure;
using Proxy.Protocols.Tls;
using static Proxy.Protocols.Tests.Tls.ClientHelloBuilder;

namespace Proxy.Protocols.Tests.Tls;

/// <summary>A named input: the bytes on the wire from the first byte of the connection, and what reading them yields.</summary>
public sealed record HelloCase(string Name, byte[] Wire, HelloResult Expected)
{
    public override string ToString() => Name;
}

/// <summary>The shared table every ClientHello theory runs over, each case three ways (see <see cref="SplitMode"/>).</summary>
public static class ClientHelloData
{
    private const string Host = "api.example.com";

    public static readonly IReadOnlyList<HelloCase> Valid =
    [
        Case("browser", Browser(), HelloResult.Hello(Host, "h2,http/1.1", tls13: true)),
        Case("browser without sni", Browser(serverName: null), HelloResult.Hello(null, "h2,http/1.1", tls13: true)),
        Case("sni only", new ClientHelloBuilder().WithServerName(Host), HelloResult.Hello(Host)),
        Case("alpn only", new ClientHelloBuilder().WithAlpn("http/1.1"), HelloResult.Hello(null, "http/1.1")),
        Case("tls 1.2 without extensions", new ClientHelloBuilder { OmitExtensions = true }, HelloResult.Hello(null)),
        Case("empty extension block", new ClientHelloBuilder(), HelloResult.Hello(null)),
        Case("empty session id", new ClientHelloBuilder { SessionId = [] }.WithServerName(Host), HelloResult.Hello(Host)),
        Case("ssl 3.0 record version, tls 1.0 hello", new ClientHelloBuilder { RecordVersion = 0x0300, LegacyVersion = 0x0301 }.WithServerName(Host), HelloResult.Hello(Host, legacyVersion: 0x0301)),
        Case("record version 0x0303", new ClientHelloBuilder { RecordVersion = 0x0303 }.WithServerName(Host), HelloResult.Hello(Host)),
        Case("odd record minor version", new ClientHelloBuilder { RecordVersion = 0x03FF }.WithServerName(Host), HelloResult.Hello(Host)),
        Case("uppercase sni is lower-cased", new ClientHelloBuilder().WithServerName("API.Example.COM"), HelloResult.Hello(Host)),
        Case("sni digits dash underscore", new ClientHelloBuilder().WithServerName("_grpc.svc-1.Cluster.local"), HelloResult.Hello("_grpc.svc-1.cluster.local")),
        Case("sni one byte", new ClientHelloBuilder().WithServerName("a"), HelloResult.Hello("a")),
        Case("sni 255 bytes", new ClientHelloBuilder().WithServerName(LongName(255)), HelloResult.Hello(LongName(255))),
        Case(
            "sni first host_name of several",
            new ClientHelloBuilder().With(ServerName, ServerNameData((7, "other type/not checked"), (0, "First.example"), (0, "second.example"), (9, "x"))),
            HelloResult.Hello("first.example")),
        Case("sni without host_name", new ClientHelloBuilder().With(ServerName, ServerNameData((1, "x"))), HelloResult.Hello(null)),
        Case(
            "grease everywhere",
            Grease(new ClientHelloBuilder()
                .With(0x1A1A, [])
                .WithServerName(Host)
                .With(Alpn, AlpnData([0x2A, 0x2A], "h2"u8.ToArray(), [0xFA, 0xFA], "http/1.1"u8.ToArray()))
                .With(0x3A3A, [1, 2, 3])
                .WithSupportedVersions(0xDADA, 0x0304, 0x0303, 0x4A4A)
                .With(0xEAEA, [0])),
            HelloResult.Hello(Host, "h2,http/1.1", tls13: true)),
        Case("alpn of grease only", new ClientHelloBuilder().With(Alpn, AlpnData([0x0A, 0x0A])), HelloResult.Hello(null)),
        Case(
            "alpn names near grease",
            new ClientHelloBuilder().With(Alpn, AlpnData([0x0A, 0x0B], [0x0A], [0x0A, 0x0A, 0x0A], "x"u8.ToArray())),
            HelloResult.Hello(null, "x")),
        Case("alpn one 255-byte name fills the store", new ClientHelloBuilder().WithAlpn(new string('p', 255)), HelloResult.Hello(null, "<255>")),
        Case(
            "alpn grease after a full store",
            new ClientHelloBuilder().With(Alpn, AlpnData(Encoding.ASCII.GetBytes(new string('p', 255)), [0x0A, 0x0A])),
            HelloResult.Hello(null, "<255>")),
        Case("alpn istio", new ClientHelloBuilder().WithAlpn("istio-peer-exchange", "istio", "istio-h2"), HelloResult.Hello(null, "istio,istio-peer-exchange,istio-h2")),
        Case("tls 1.2 only versions", new ClientHelloBuilder().WithSupportedVersions(0x0303, 0x0302), HelloResult.Hello(null)),
        Case("unknown extensions skipped", new ClientHelloBuilder().With(0xFF01, new byte[300]).With(1234, []).WithServerName(Host), HelloResult.Hello(Host)),
        Case("padding to 512", Padded(new ClientHelloBuilder().WithServerName(Host), 512), HelloResult.Hello(Host)),
        Case("16 KiB body in two records", Big(), HelloResult.Hello(Host, "h2")),
        Case("hello in records of 100", Browser(), HelloResult.Hello(Host, "h2,http/1.1", tls13: true), b => FrameEvery(b.Message(), 100)),
        Case(
            "bytes after the hello in its record",
            Browser(),
            HelloResult.Hello(Host, "h2,http/1.1", tls13: true),
            b => Frame([.. b.Message(), 20, 0, 0, 1, 0], b.RecordVersion)),
        Case(
            "records after the hello",
            Browser(),
            HelloResult.Hello(Host, "h2,http/1.1", tls13: true),
            b => [.. b.Wire(), .. Record(20, 0x0303, [1]), .. Record(23, 0x0303, new byte[40])]),
    ];

    public static readonly IReadOnlyList<HelloCase> Invalid =
    [
        // Not TLS: decided on the first two bytes (RFC 8446 5.1 record header).
        Bad("http request", Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"), ClientHelloStatus.NotTls),
        Bad("http/2 preface", Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), ClientHelloStatus.NotTls),
        Bad("one letter", "G"u8.ToArray(), ClientHelloStatus.NotTls),
        Bad("ssl 2.0 hello", [0x80, 0x2E, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10], ClientHelloStatus.NotTls),
        Bad("application data record", Record(23, 0x0303, new byte[20]), ClientHelloStatus.NotTls),
        Bad("alert record", Record(21, 0x0303, [2, 40]), ClientHelloStatus.NotTls),
        Bad("record version major 2", [22, 2, 0, 0, 5, 1, 0, 0, 1, 0], ClientHelloStatus.NotTls),
        Bad("record version major 0x16", [22, 22, 3, 1, 0], ClientHelloStatus.NotTls),
        Bad("zero bytes", new byte[64], ClientHelloStatus.NotTls),

        // Records (RFC 8446 5.1).
        Bad("zero-length first record", [22, 3, 1, 0, 0, 1, 0, 0, 40], ClientHelloStatus.Malformed),
        Bad("record over 2^14", [22, 3, 1, 0x40, 0x01, 1, 0, 0x40, 0], ClientHelloStatus.Malformed),
        Bad("zero-length second record", Splice(Browser().Wire(10), 15, [22, 3, 1, 0, 0]), ClientHelloStatus.Malformed),
        Bad("change cipher spec mid-hello", Splice(Browser().Wire(20), 25, Record(20, 0x0303, [1])), ClientHelloStatus.Malformed),
        Bad("application data mid-hello", Patch(Browser().Wire(50), 55, 23), ClientHelloStatus.Malformed),
        Bad("second record version major 2", Patch(Browser().Wire(50), 56, 2), ClientHelloStatus.Malformed),

        // Handshake header (RFC 8446 4).
        Bad("server hello", new ClientHelloBuilder { HandshakeType = 2 }.Wire(), ClientHelloStatus.Malformed),
        Bad("hello request", new ClientHelloBuilder { HandshakeType = 0 }.Wire(), ClientHelloStatus.Malformed),
        Bad("body too short for fixed fields", Frame([1, 0, 0, 34, .. new byte[34]], 0x0301), ClientHelloStatus.Malformed),
        Bad("empty body", Frame([1, 0, 0, 0], 0x0301), ClientHelloStatus.Malformed),
        Bad("body too short for random", Body([3, 3], new byte[10]), ClientHelloStatus.Malformed),

        // Fixed fields (RFC 8446 4.1.2).
        Bad("session id of 33", Fixed(b => b.SessionId = new byte[33]), ClientHelloStatus.Malformed),
        Bad("session id overruns body", PatchMessage(new ClientHelloBuilder { OmitExtensions = true }, SessionIdLengthOffset, 32, truncateTo: SessionIdLengthOffset + 10), ClientHelloStatus.Malformed),
        Bad("cipher suites odd length", Body([3, 3], new byte[32], [0], [0, 3, 0x13, 0x01, 0x00], [1, 0]), ClientHelloStatus.Malformed),
        Bad("cipher suites empty", Fixed(b => b.CipherSuites.Clear()), ClientHelloStatus.Malformed),
        Bad("cipher suites overrun", PatchBuilder(new ClientHelloBuilder(), b => b.CipherSuitesLengthOffset, 0x40, 0x00), ClientHelloStatus.Malformed),
        Bad("compression methods empty", Fixed(b => b.CompressionMethods = []), ClientHelloStatus.Malformed),
        Bad("compression methods overrun", PatchBuilder(new ClientHelloBuilder { OmitExtensions = true }, b => b.CompressionMethodsLengthOffset, 2), ClientHelloStatus.Malformed),

        // Extension block.
        Bad("one byte where the extension block starts", Fixed(b => { b.OmitExtensions = true; b.TrailingBytes = [0]; }), ClientHelloStatus.Malformed),
        Bad("extension block longer than message", Fixed(b => { b.WithServerName(Host); b.ExtensionsLengthDelta = 1; }), ClientHelloStatus.Malformed),
        Bad("extension block shorter than message", Fixed(b => { b.WithServerName(Host); b.ExtensionsLengthDelta = -1; }), ClientHelloStatus.Malformed),
        Bad("bytes after extension block", Fixed(b => { b.WithServerName(Host); b.TrailingBytes = [0, 0, 0, 0]; }), ClientHelloStatus.Malformed),
        Bad("extension data overruns block", Fixed(b => { b.TrailingBytes = [0x04, 0xD2, 0, 3, 1, 2]; b.ExtensionsLengthDelta = 6; }), ClientHelloStatus.Malformed),
        Bad("extension header cut by block end", Fixed(b => { b.TrailingBytes = [0x12, 0x34, 0]; b.ExtensionsLengthDelta = 3; }), ClientHelloStatus.Malformed),

        // server_name (RFC 6066 3).
        Bad("sni extension empty", Ext(ServerName, []), ClientHelloStatus.Malformed),
        Bad("sni list empty", Ext(ServerName, [0, 0]), ClientHelloStatus.Malformed),
        Bad("sni list longer than extension", Ext(ServerName, [0, 9, 0, 0, 3, (byte)'a', (byte)'b', (byte)'c']), ClientHelloStatus.Malformed),
        Bad("sni list shorter than extension", Ext(ServerName, [0, 5, 0, 0, 2, (byte)'a', (byte)'b', 1, 0, 1, (byte)'c']), ClientHelloStatus.Malformed),
        Bad("sni name overruns list", Ext(ServerName, [0, 6, 0, 0, 4, (byte)'a', (byte)'b', (byte)'c']), ClientHelloStatus.Malformed),
        Bad("sni entry cut short", Ext(ServerName, [0, 2, 0, 0]), ClientHelloStatus.Malformed),
        Bad("sni name empty", Ext(ServerName, [0, 3, 0, 0, 0]), ClientHelloStatus.Malformed),
        Bad("sni other type empty", Ext(ServerName, [0, 3, 1, 0, 0]), ClientHelloStatus.Malformed),
        Bad("sni 256 bytes", Ext(ServerName, ServerNameData((0, LongName(256)))), ClientHelloStatus.Malformed),
        Bad("sni with space", Ext(ServerName, ServerNameData((0, "api example.com"))), ClientHelloStatus.Malformed),
        Bad("sni with slash", Ext(ServerName, ServerNameData((0, "api.example.com/x"))), ClientHelloStatus.Malformed),
        Bad("sni with colon port", Ext(ServerName, ServerNameData((0, "api.example.com:443"))), ClientHelloStatus.Malformed),
        Bad("sni with wildcard", Ext(ServerName, ServerNameData((0, "*.example.com"))), ClientHelloStatus.Malformed),
        Bad("sni with nul", Ext(ServerName, ServerNameData((0, "api\0.example.com"))), ClientHelloStatus.Malformed),
        Bad("sni non-ascii", Ext(ServerName, ServerNameData((0, "caf\u00e9.example"))), ClientHelloStatus.Malformed),
        Bad("sni twice", new ClientHelloBuilder().WithServerName(Host).WithServerName("evil.example").Wire(), ClientHelloStatus.Malformed),

        // application_layer_protocol_negotiation (RFC 7301 3.1).
        Bad("alpn extension empty", Ext(Alpn, []), ClientHelloStatus.Malformed),
        Bad("alpn list empty", Ext(Alpn, [0, 0]), ClientHelloStatus.Malformed),
        Bad("alpn list of one byte", Ext(Alpn, [0, 1, 0]), ClientHelloStatus.Malformed),
        Bad("alpn name empty", Ext(Alpn, [0, 3, 0, 1, (byte)'x']), ClientHelloStatus.Malformed),
        Bad("alpn name overruns list", Ext(Alpn, [0, 3, 3, (byte)'h', (byte)'2']), ClientHelloStatus.Malformed),
        Bad("alpn list longer than extension", Ext(Alpn, [0, 4, 2, (byte)'h', (byte)'2']), ClientHelloStatus.Malformed),
        Bad("alpn list shorter than extension", Ext(Alpn, [0, 3, 2, (byte)'h', (byte)'2', 1, (byte)'x']), ClientHelloStatus.Malformed),
        Bad("alpn twice", new ClientHelloBuilder().WithAlpn("h2").WithAlpn("http/1.1").Wire(), ClientHelloStatus.Malformed),

        // supported_versions (RFC 8446 4.2.1).
        Bad("versions extension empty", Ext(SupportedVersions, []), ClientHelloStatus.Malformed),
        Bad("versions list empty", Ext(SupportedVersions, [0]), ClientHelloStatus.Malformed),
        Bad("versions odd length", Ext(SupportedVersions, [3, 3, 4, 3]), ClientHelloStatus.Malformed),
        Bad("versions list longer than extension", Ext(SupportedVersions, [4, 3, 4]), ClientHelloStatus.Malformed),
        Bad("versions list shorter than extension", Ext(SupportedVersions, [2, 3, 4, 3, 3]), ClientHelloStatus.Malformed),
        Bad("versions twice", new ClientHelloBuilder().WithSupportedVersions(0x0304).WithSupportedVersions(0x0303).Wire(), ClientHelloStatus.Malformed),

        // Bounds.
        Bad("message length one over the bound", [22, 3, 1, 0, 4, 1, 0, 0x40, 0x20], ClientHelloStatus.TooLarge),
        Bad("maximum uint24 message length", [22, 3, 1, 0, 4, 1, 0xFF, 0xFF, 0xFF], ClientHelloStatus.TooLarge),
        Bad("alpn over 256 bytes", new ClientHelloBuilder().WithAlpn(new string('a', 100), new string('b', 100), new string('c', 54)).Wire(), ClientHelloStatus.TooLarge),
        Bad("3 KiB hello in one-byte records", FrameEvery(Padded(new ClientHelloBuilder(), 3000).Message(), 1), ClientHelloStatus.TooLarge),
    ];

    public static TheoryData<string, SplitMode> ValidRuns => Runs(Valid);

    public static TheoryData<string, SplitMode> InvalidRuns => Runs(Invalid);

    public static HelloCase Find(IEnumerable<HelloCase> cases, string name) => cases.Single(c => c.Name == name);

    public static string LongName(int length) =>
        string.Join('.', Enumerable.Repeat(new string('a', 63), 4))[..(length - 1)] + "z";

    /// <summary>Pads with the padding extension (RFC 7685) so that the message is exactly <paramref name="messageLength"/> bytes.</summary>
    public static ClientHelloBuilder Padded(ClientHelloBuilder builder, int messageLength)
    {
        int padding = messageLength - builder.Message().Length - 4;
        return builder.With(Padding, new byte[padding]);
    }

    private static ClientHelloBuilder Big() => Padded(new ClientHelloBuilder().WithServerName(Host).WithAlpn("h2"), (16 * 1024) + 4);

    private static ClientHelloBuilder Grease(ClientHelloBuilder builder)
    {
        builder.CipherSuites.Insert(0, 0x0A0A);
        builder.CipherSuites.Add(0xBABA);
        return builder;
    }

    private static HelloCase Case(string name, ClientHelloBuilder builder, HelloResult expected, Func<ClientHelloBuilder, byte[]>? frame = null)
    {
        // Big hellos need two records (2^14 payload at most each).
        byte[] message = builder.Message();
        byte[] wire = frame?.Invoke(builder) ?? (message.Length > 1 << 14 ? builder.Wire(1 << 13) : builder.Wire());
        return new HelloCase(name, wire, expected);
    }

    private static HelloCase Bad(string name, byte[] wire, ClientHelloStatus status) => new(name, wire, HelloResult.Of(status));

    /// <summary>A hello in one record from raw body parts, for fields the builder always writes correctly.</summary>
    private static byte[] Body(params byte[][] parts)
    {
        byte[] body = [.. parts.SelectMany(p => p)];
        return Frame([1, 0, (byte)(body.Length >> 8), (byte)body.Length, .. body], 0x0301);
    }

    /// <summary>A hello with one extension, followed by another so that reading past the first one finds bytes.</summary>
    private static byte[] Ext(ushort type, byte[] data) => new ClientHelloBuilder().With(type, data).With(1234, [0, 4, 2, 0, 1, 0]).Wire();

    private static byte[] Fixed(Action<ClientHelloBuilder> change)
    {
        var builder = new ClientHelloBuilder();
        change(builder);
        return builder.Wire();
    }

    private static byte[] PatchAt(byte[] message, int offset, params byte[] bytes)
    {
        bytes.CopyTo(message, offset);
        return message;
    }

    private static byte[] PatchBuilder(ClientHelloBuilder builder, Func<ClientHelloBuilder, int> offset, params byte[] bytes) =>
        Frame(PatchAt(builder.Message(), offset(builder), bytes), builder.RecordVersion);

    /// <summary>Patches the message, then cuts it (fixing the handshake length) to <paramref name="truncateTo"/> bytes.</summary>
    private static byte[] PatchMessage(ClientHelloBuilder builder, int offset, byte value, int truncateTo)
    {
        byte[] message = builder.Message()[..truncateTo];
        message[offset] = value;
        int body = truncateTo - 4;
        message[1] = (byte)(body >> 16);
        message[2] = (byte)(body >> 8);
        message[3] = (byte)body;
        return Frame(message, builder.RecordVersion);
    }

    private static byte[] Patch(byte[] wire, int offset, byte value)
    {
        byte[] copy = [.. wire];
        copy[offset] = value;
        return copy;
    }

    private static byte[] Splice(byte[] data, int offset, byte[] insert) => [.. data.AsSpan(0, offset), .. insert, .. data.AsSpan(offset)];

    private static TheoryData<string, SplitMode> Runs(IEnumerable<HelloCase> cases)
    {
        var data = new TheoryData<string, SplitMode>();
        foreach (HelloCase c in cases)
        {
            foreach (SplitMode mode in Enum.GetValues<SplitMode>())
            {
                data.Add(c.Name, mode);
            }
        }

        return data;
    }
}
