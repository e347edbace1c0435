using System.Buffers;

namespace Proxy.Protocols.Tls;

/// <summary>
/// Reads the server name, ALPN protocols and versions from the ClientHello at the start of a TLS connection without
/// consuming it: the caller peeks (<c>AdvanceTo(buffer.Start, buffer.End)</c> while more is needed) and later hands the
/// same bytes to <c>SslStream</c> or pumps them untouched to a passthrough upstream.
/// </summary>
public static partial class ClientHelloReader
{
    /// <summary>
    /// Default for the <c>maxHelloSize</c> of <see cref="TryRead"/>: 16 KiB of handshake message carried in up to eight
    /// records (16 * 1024 + 5 * 8 bytes).
    /// </summary>
    /// <remarks>
    /// The bound covers the ClientHello handshake message (header and body) plus the 5-byte header of each record that
    /// carries it: exactly what the caller must buffer before the hello is complete, so a client that fragments its
    /// hello into one-byte records cannot make the caller hold six times the bound. Real hellos stay under 2 KiB, even
    /// with the 1,216-byte X25519MLKEM768 key share browsers now send. 16 KiB is the payload of one full record
    /// (RFC 8446 5.1) and the largest handshake message BoringSSL accepts from a client before certificates are
    /// involved (<c>ssl_max_handshake_message_len</c>). Envoy's tls_inspector and Go's crypto/tls allow 64 KiB; a
    /// quarter of that per handshaking connection is enough, and a caller that needs more passes a larger bound.
    /// </remarks>
    public const int DefaultMaxHelloSize = 16 * 1024 + 5 * 8;

    /// <summary>
    /// Examines the start of a connection for a ClientHello. Never throws on bad input and allocates nothing.
    /// Call it with everything received so far, from the first byte: it keeps no state between calls.
    /// </summary>
    /// <param name="buffer">The connection's bytes from its first byte; not consumed.</param>
    /// <param name="info">Reset, then filled in; meaningful when the result is <see cref="ClientHelloStatus.Complete"/>.</param>
    /// <param name="maxHelloSize">Largest hello accepted, counted as described on <see cref="DefaultMaxHelloSize"/>.</param>
    /// <returns>
    /// <see cref="ClientHelloStatus.Complete"/> once the whole hello has arrived (bytes after it are not looked at);
    /// <see cref="ClientHelloStatus.NeedMoreData"/> for any prefix of a valid hello;
    /// <see cref="ClientHelloStatus.NotTls"/> as soon as the first byte is not 22 (handshake) or the second not 3 (the
    /// record version's major byte), which includes SSLv2-format hellos (first byte with the high bit set), long
    /// obsolete and refused by every TLS server we hand the connection to;
    /// <see cref="ClientHelloStatus.Malformed"/> for a structurally bad hello: a vector that overruns its enclosing
    /// one, trailing bytes, a message other than ClientHello, an empty or oversized record, a record of another type
    /// mid-message, a bad server_name, ALPN or supported_versions extension, or one of those three twice
    /// (RFC 8446 4.2: an extension type appears at most once; a second SNI could route differently from the first);
    /// <see cref="ClientHelloStatus.TooLarge"/> beyond <paramref name="maxHelloSize"/>, or when the non-GREASE ALPN
    /// list exceeds the 256 bytes <see cref="ClientHelloInfo"/> keeps so that <see cref="ClientHelloInfo.OffersAlpn"/>
    /// is exact.
    /// </returns>
    /// <remarks>
    /// Re-reading from the start on each call costs O(n) per call, O(n^2) at worst over a hello that trickles in a
    /// byte at a time; n is bounded by <paramref name="maxHelloSize"/>, and Kestrel's TlsListener does the same.
    /// Steps, echoed as comments in the body:
    /// <list type="number">
    /// <item>handshake header: msg_type client_hello, uint24 length, checked against the bound at once;</item>
    /// <item>fixed fields (RFC 8446 4.1.2): legacy_version, random, legacy_session_id, cipher_suites,
    /// legacy_compression_methods;</item>
    /// <item>extensions, optional before TLS 1.3 (RFC 5246 7.4.1.2), ending exactly where the message ends;
    /// server_name, application_layer_protocol_negotiation and supported_versions are read, the rest skipped.</item>
    /// </list>
    /// </remarks>
    public static ClientHelloStatus TryRead(in ReadOnlySequence<byte> buffer, ClientHelloInfo info, int maxHelloSize = DefaultMaxHelloSize)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxHelloSize);

        info.Reset();
        var cursor = new HandshakeCursor(buffer, maxHelloSize);
        return TryReadClientHello(ref cursor, info) ? ClientHelloStatus.Complete : cursor.Status;
    }

    private static bool TryReadClientHello(ref HandshakeCursor cursor, ClientHelloInfo info)
    {
        // Step 1: the handshake header.
        if (!cursor.TryReadUInt8(int.MaxValue, out byte messageType))
        {
            return false;
        }

        if (messageType != TlsWire.HandshakeTypeClientHello)
        {
            return cursor.Reject();
        }

        if (!cursor.TryReadUInt24(int.MaxValue, out int bodyLength) ||
            !cursor.TrySetMessageLength(TlsWire.HandshakeHeaderLength + bodyLength))
        {
            return false;
        }

        int end = cursor.Position + bodyLength;

        // Step 2: the fixed fields.
        if (!cursor.TryReadUInt16(end, out ushort legacyVersion))
        {
            return false;
        }

        info.LegacyVersion = legacyVersion;
        if (!cursor.TrySkip(end, TlsWire.RandomLength) || !cursor.TryReadLength8(end, out int sessionIdLength))
        {
            return false;
        }

        if (sessionIdLength > TlsWire.MaxSessionIdLength)
        {
            return cursor.Reject();
        }

        if (!cursor.TrySkip(end, sessionIdLength) || !cursor.TryReadLength16(end, out int cipherSuitesLength))
        {
            return false;
        }

        // CipherSuite cipher_suites<2..2^16-2>: two bytes each.
        if (cipherSuitesLength < 2 || (cipherSuitesLength & 1) != 0)
        {
            return cursor.Reject();
        }

        if (!cursor.TrySkip(end, cipherSuitesLength) || !cursor.TryReadLength8(end, out int compressionMethodsLength))
        {
            return false;
        }

        // opaque legacy_compression_methods<1..2^8-1>
        if (compressionMethodsLength == 0)
        {
            return cursor.Reject();
        }

        if (!cursor.TrySkip(end, compressionMethodsLength))
        {
            return false;
        }

        // Step 3: the extensions.
        if (cursor.Position == end)
        {
            return true;
        }

        if (!cursor.TryReadLength16(end, out int extensionsLength))
        {
            return false;
        }

        if (cursor.Position + extensionsLength != end)
        {
            return cursor.Reject();
        }

        return TryReadExtensions(ref cursor, end, info);
    }
}
