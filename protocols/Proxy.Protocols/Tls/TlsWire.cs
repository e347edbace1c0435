namespace Proxy.Protocols.Tls;

/// <summary>Wire constants of the TLS record and handshake layers and the ClientHello extensions the reader uses.</summary>
internal static class TlsWire
{
    /// <summary>ContentType handshake (RFC 8446 5.1).</summary>
    public const byte ContentTypeHandshake = 22;

    /// <summary>Major byte of every legacy_record_version, SSL 3.0 through TLS 1.3 (0x0300-0x0304).</summary>
    public const byte RecordVersionMajor = 3;

    /// <summary>content_type (1), legacy_record_version (2), length (2).</summary>
    public const int RecordHeaderLength = 5;

    /// <summary>TLSPlaintext.length MUST NOT exceed 2^14 (RFC 8446 5.1); more is a record_overflow alert.</summary>
    public const int MaxRecordPayloadLength = 1 << 14;

    /// <summary>HandshakeType client_hello (RFC 8446 4).</summary>
    public const byte HandshakeTypeClientHello = 1;

    /// <summary>msg_type (1), uint24 length (3).</summary>
    public const int HandshakeHeaderLength = 4;

    /// <summary>ClientHello.random (RFC 8446 4.1.2).</summary>
    public const int RandomLength = 32;

    /// <summary>legacy_session_id is opaque&lt;0..32&gt; (RFC 8446 4.1.2).</summary>
    public const int MaxSessionIdLength = 32;

    public const ushort ExtensionServerName = 0;
    public const ushort ExtensionAlpn = 16;
    public const ushort ExtensionSupportedVersions = 43;

    /// <summary>NameType host_name (RFC 6066 3).</summary>
    public const byte NameTypeHostName = 0;

    /// <summary>A DNS name is at most 255 bytes on the wire (RFC 1035 2.3.4); a longer host_name is rejected.</summary>
    public const int MaxHostNameLength = 255;

    public const ushort VersionTls13 = 0x0304;

    /// <summary>
    /// GREASE (RFC 8701 2): 0x0A0A, 0x1A1A, ... 0xFAFA, reserved for extension types, versions, cipher suites and, as
    /// two-byte names, ALPN protocols. Clients send them so that servers learn to ignore unknown values; so do we.
    /// </summary>
    public static bool IsGrease(ushort value) => (value & 0x0F0F) == 0x0A0A && (value >> 8) == (value & 0xFF);
}
