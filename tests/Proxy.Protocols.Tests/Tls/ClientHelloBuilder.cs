using System.Buffers.Binary;
using System.Text;

namespace Proxy.Protocols.Tests.Tls;

/// <summary>
/// Writes ClientHello messages and the records that carry them field by field, so tests control every length, every
/// extension (GREASE included) and where records are cut. Offsets of the fixed fields are exposed for corrupting them.
/// </summary>
public sealed class ClientHelloBuilder
{
    public const byte ContentTypeHandshake = 22;
    public const ushort ServerName = 0;
    public const ushort SupportedGroups = 10;
    public const ushort SignatureAlgorithms = 13;
    public const ushort Alpn = 16;
    public const ushort Padding = 21;
    public const ushort SupportedVersions = 43;
    public const ushort KeyShare = 51;

    /// <summary>legacy_record_version of every record; 0x0301 is what browsers put on a first ClientHello.</summary>
    public ushort RecordVersion { get; set; } = 0x0301;

    public byte HandshakeType { get; set; } = 1;

    public ushort LegacyVersion { get; set; } = 0x0303;

    public byte[] Random { get; set; } = [.. Enumerable.Range(0, 32).Select(i => (byte)(0xA0 + i))];

    public byte[] SessionId { get; set; } = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    public List<ushort> CipherSuites { get; } = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F];

    public byte[] CompressionMethods { get; set; } = [0];

    /// <summary>No extension block at all, as a TLS 1.2-or-older client may send (RFC 5246 7.4.1.2).</summary>
    public bool OmitExtensions { get; set; }

    public List<(ushort Type, byte[] Data)> Extensions { get; } = [];

    /// <summary>Added to the extension block's length field (the block itself is unchanged).</summary>
    public int ExtensionsLengthDelta { get; set; }

    /// <summary>Bytes after the extension block, inside the message.</summary>
    public byte[] TrailingBytes { get; set; } = [];

    public static int SessionIdLengthOffset => 4 + 2 + 32;

    public int CipherSuitesLengthOffset => SessionIdLengthOffset + 1 + SessionId.Length;

    public int CompressionMethodsLengthOffset => CipherSuitesLengthOffset + 2 + (2 * CipherSuites.Count);

    public int ExtensionsLengthOffset => CompressionMethodsLengthOffset + 1 + CompressionMethods.Length;

    /// <summary>A hello shaped like a current browser's: GREASE, a post-quantum key share, padding; about 1.9 KiB.</summary>
    public static ClientHelloBuilder Browser(string? serverName = "api.example.com")
    {
        var builder = new ClientHelloBuilder();
        builder.CipherSuites.Clear();
        builder.CipherSuites.AddRange([0x2A2A, 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]);
        builder.With(0x0A0A, []);
        if (serverName is not null)
        {
            builder.WithServerName(serverName);
        }

        builder.With(23, []) // extended_master_secret
            .With(65281, [0]) // renegotiation_info
            .With(SupportedGroups, U16Vector(0x4A4A, 0x11EC, 0x001D, 0x0017, 0x0018))
            .With(11, [1, 0]) // ec_point_formats
            .With(35, []) // session_ticket
            .WithAlpn("h2", "http/1.1")
            .With(5, [1, 0, 0, 0, 0]) // status_request
            .With(SignatureAlgorithms, U16Vector(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601))
            .With(18, []) // signed_certificate_timestamp
            .With(KeyShare, KeyShareData())
            .With(45, [1, 1]) // psk_key_exchange_modes
            .WithSupportedVersions(0x7A7A, 0x0304, 0x0303)
            .With(27, [2, 0, 2]) // compress_certificate: brotli
            .With(17513, [0, 3, 2, (byte)'h', (byte)'2']) // application_settings
            .With(0xFAFA, [0]);
        return builder;
    }

    public ClientHelloBuilder With(ushort type, byte[] data)
    {
        Extensions.Add((type, data));
        return this;
    }

    public ClientHelloBuilder WithServerName(string hostName) => With(ServerName, ServerNameData((0, hostName)));

    public ClientHelloBuilder WithAlpn(params string[] protocols) => With(Alpn, AlpnData([.. protocols.Select(Encoding.ASCII.GetBytes)]));

    public ClientHelloBuilder WithSupportedVersions(params ushort[] versions) => With(SupportedVersions, SupportedVersionsData(versions));

    /// <summary>ServerNameList (RFC 6066 3): a uint16 list length, then name_type and uint16-prefixed name per entry.</summary>
    public static byte[] ServerNameData(params (byte Type, string Name)[] names)
    {
        var list = new List<byte>();
        foreach ((byte type, string name) in names)
        {
            list.Add(type);
            list.AddRange(U16(name.Length));
            list.AddRange(Encoding.Latin1.GetBytes(name));
        }

        return [.. U16(list.Count), .. list];
    }

    /// <summary>ProtocolNameList (RFC 7301 3.1): a uint16 list length, then uint8-prefixed names.</summary>
    public static byte[] AlpnData(params byte[][] protocols)
    {
        byte[] list = [.. protocols.SelectMany(p => (byte[])[(byte)p.Length, .. p])];
        return [.. U16(list.Length), .. list];
    }

    /// <summary>ClientHello supported_versions (RFC 8446 4.2.1): a uint8 list length, then two bytes per version.</summary>
    public static byte[] SupportedVersionsData(params ushort[] versions) =>
        [(byte)(versions.Length * 2), .. versions.SelectMany(v => U16(v))];

    /// <summary>The handshake message: msg_type, uint24 length, body.</summary>
    public byte[] Message()
    {
        var body = new List<byte>();
        body.AddRange(U16(LegacyVersion));
        body.AddRange(Random);
        body.Add((byte)SessionId.Length);
        body.AddRange(SessionId);
        body.AddRange(U16(CipherSuites.Count * 2));
        body.AddRange(CipherSuites.SelectMany(s => U16(s)));
        body.Add((byte)CompressionMethods.Length);
        body.AddRange(CompressionMethods);
        if (!OmitExtensions)
        {
            byte[] block = [.. Extensions.SelectMany(e => (byte[])[.. U16(e.Type), .. U16(e.Data.Length), .. e.Data])];
            body.AddRange(U16(block.Length + ExtensionsLengthDelta));
            body.AddRange(block);
        }

        body.AddRange(TrailingBytes);
        return [HandshakeType, (byte)(body.Count >> 16), (byte)(body.Count >> 8), (byte)body.Count, .. body];
    }

    /// <summary>The message in records; a new record starts at each offset of <paramref name="cuts"/> (ascending).</summary>
    public byte[] Wire(params int[] cuts) => Frame(Message(), RecordVersion, cuts);

    public static byte[] Frame(byte[] message, ushort recordVersion, params int[] cuts)
    {
        var wire = new List<byte>();
        int start = 0;
        foreach (int cut in cuts.Append(message.Length))
        {
            wire.AddRange(Record(ContentTypeHandshake, recordVersion, message.AsSpan(start, cut - start)));
            start = cut;
        }

        return [.. wire];
    }

    /// <summary>The message in records of <paramref name="size"/> bytes (the last may be shorter).</summary>
    public static byte[] FrameEvery(byte[] message, int size, ushort recordVersion = 0x0301) =>
        Frame(message, recordVersion, [.. Enumerable.Range(1, (message.Length - 1) / size).Select(i => i * size)]);

    public static byte[] Record(byte contentType, ushort version, ReadOnlySpan<byte> payload) =>
        [contentType, .. U16(version), .. U16(payload.Length), .. payload];

    public static byte[] U16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }

    private static byte[] U16Vector(params ushort[] values) => [.. U16(values.Length * 2), .. values.SelectMany(v => U16(v))];

    /// <summary>KeyShareClientHello: a GREASE share, X25519MLKEM768 (1,216 bytes) and X25519 (32 bytes).</summary>
    private static byte[] KeyShareData()
    {
        byte[] shares =
        [
            .. U16(0x4A4A), .. U16(1), 0,
            .. U16(0x11EC), .. U16(1216), .. Enumerable.Repeat((byte)0x5C, 1216),
            .. U16(0x001D), .. U16(32), .. Enumerable.Repeat((byte)0x1D, 32),
        ];
        return [.. U16(shares.Length), .. shares];
    }
}
