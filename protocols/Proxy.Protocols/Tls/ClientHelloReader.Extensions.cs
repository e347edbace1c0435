using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Proxy.Protocols.Tls;

public static partial class ClientHelloReader
{
    /// <summary>Bytes accepted in a host_name: letters, digits, '-', '.', and '_' (seen in real service names).</summary>
    private static readonly SearchValues<byte> HostNameChars =
        SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-._"u8);

    [Flags]
    private enum ReadExtensions : byte
    {
        None = 0,
        ServerName = 1,
        Alpn = 2,
        SupportedVersions = 4,
    }

    /// <summary>Reads Extension extensions&lt;..&gt; up to <paramref name="end"/>, the end of the message.</summary>
    private static bool TryReadExtensions(ref HandshakeCursor cursor, int end, ClientHelloInfo info)
    {
        ReadExtensions seen = ReadExtensions.None;
        while (cursor.Position < end)
        {
            if (!cursor.TryReadUInt16(end, out ushort type) || !cursor.TryReadLength16(end, out int length))
            {
                return false;
            }

            int extensionEnd = cursor.Position + length;
            ReadExtensions kind = type switch
            {
                TlsWire.ExtensionServerName => ReadExtensions.ServerName,
                TlsWire.ExtensionAlpn => ReadExtensions.Alpn,
                TlsWire.ExtensionSupportedVersions => ReadExtensions.SupportedVersions,
                _ => ReadExtensions.None,
            };

            if ((seen & kind) != 0)
            {
                return cursor.Reject();
            }

            seen |= kind;
            bool read = kind switch
            {
                ReadExtensions.ServerName => TryReadServerName(ref cursor, extensionEnd, info),
                ReadExtensions.Alpn => TryReadAlpn(ref cursor, extensionEnd, info),
                ReadExtensions.SupportedVersions => TryReadSupportedVersions(ref cursor, extensionEnd, info),
                _ => cursor.TrySkip(extensionEnd, length),
            };

            if (!read)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// ServerNameList: ServerName server_name_list&lt;1..2^16-1&gt;, each a NameType byte and, for host_name (0), a
    /// HostName&lt;1..2^16-1&gt; (RFC 6066 3). Takes the first host_name and skips the rest; RFC 6066 allows one name
    /// per type, but this reader is not where that is enforced.
    /// </summary>
    private static bool TryReadServerName(ref HandshakeCursor cursor, int end, ClientHelloInfo info)
    {
        if (!cursor.TryReadLength16(end, out int listLength))
        {
            return false;
        }

        if (listLength == 0 || cursor.Position + listLength != end)
        {
            return cursor.Reject();
        }

        while (cursor.Position < end)
        {
            if (!cursor.TryReadUInt8(end, out byte nameType) || !cursor.TryReadLength16(end, out int nameLength))
            {
                return false;
            }

            if (nameLength == 0)
            {
                return cursor.Reject();
            }

            if (nameType != TlsWire.NameTypeHostName || info.HasServerName)
            {
                if (!cursor.TrySkip(end, nameLength))
                {
                    return false;
                }

                continue;
            }

            if (nameLength > TlsWire.MaxHostNameLength)
            {
                return cursor.Reject();
            }

            Span<byte> name = info.ServerNameBuffer[..nameLength];
            if (!cursor.TryCopyTo(end, name))
            {
                return false;
            }

            if (name.ContainsAnyExcept(HostNameChars))
            {
                return cursor.Reject();
            }

            Ascii.ToLowerInPlace(name, out _);
            info.SetServerName(nameLength);
        }

        return true;
    }

    /// <summary>
    /// ProtocolNameList: ProtocolName protocol_name_list&lt;2..2^16-1&gt;, each opaque&lt;1..2^8-1&gt; (RFC 7301 3.1).
    /// GREASE names (two bytes, RFC 8701 2) are dropped.
    /// </summary>
    private static bool TryReadAlpn(ref HandshakeCursor cursor, int end, ClientHelloInfo info)
    {
        if (!cursor.TryReadLength16(end, out int listLength))
        {
            return false;
        }

        if (listLength < 2 || cursor.Position + listLength != end)
        {
            return cursor.Reject();
        }

        while (cursor.Position < end)
        {
            if (!cursor.TryReadLength8(end, out int nameLength))
            {
                return false;
            }

            if (nameLength == 0)
            {
                return cursor.Reject();
            }

            Span<byte> name;
            if (nameLength == sizeof(ushort))
            {
                // Read before reserving room, so that a GREASE name never makes a full list TooLarge.
                if (!cursor.TryReadUInt16(end, out ushort value))
                {
                    return false;
                }

                if (TlsWire.IsGrease(value))
                {
                    continue;
                }

                if (!info.TryReserveAlpn(nameLength, out name))
                {
                    return cursor.Fail(ClientHelloStatus.TooLarge);
                }

                BinaryPrimitives.WriteUInt16BigEndian(name, value);
            }
            else if (!info.TryReserveAlpn(nameLength, out name))
            {
                return cursor.Fail(ClientHelloStatus.TooLarge);
            }
            else if (!cursor.TryCopyTo(end, name))
            {
                return false;
            }

            info.CommitAlpn(nameLength);
        }

        return true;
    }

    /// <summary>
    /// ProtocolVersion versions&lt;2..254&gt; in a ClientHello (RFC 8446 4.2.1); GREASE versions are just not 0x0304.
    /// An odd length leaves one byte where a version should be, which the bounded read rejects.
    /// </summary>
    private static bool TryReadSupportedVersions(ref HandshakeCursor cursor, int end, ClientHelloInfo info)
    {
        if (!cursor.TryReadLength8(end, out int listLength))
        {
            return false;
        }

        if (listLength < 2 || cursor.Position + listLength != end)
        {
            return cursor.Reject();
        }

        while (cursor.Position < end)
        {
            if (!cursor.TryReadUInt16(end, out ushort version))
            {
                return false;
            }

            if (version == TlsWire.VersionTls13)
            {
                info.OffersTls13 = true;
            }
        }

        return true;
    }
}
