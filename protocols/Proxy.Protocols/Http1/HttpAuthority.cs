using static Proxy.Protocols.Http1.HttpCharacters;

namespace Proxy.Protocols.Http1;

/// <summary>Validates <c>authority = host [ ":" port ]</c> without userinfo (RFC 9110 4.2.1, 7.2; RFC 3986 3.2).</summary>
internal static class HttpAuthority
{
    /// <summary>Largest port: five digits, at most 65535.</summary>
    private const int MaxPortDigits = 5;

    /// <param name="authority">The bytes to check. Empty is valid unless a port is required (RFC 9110 7.2 allows an empty Host).</param>
    /// <param name="requirePort">authority-form of CONNECT needs <c>host:port</c> (RFC 9112 3.2.3).</param>
    public static bool IsValid(ReadOnlySpan<byte> authority, bool requirePort)
    {
        if (authority.IsEmpty)
        {
            return !requirePort;
        }

        ReadOnlySpan<byte> rest;
        if (authority[0] == ByteOpenBracket)
        {
            int close = authority.IndexOf(ByteCloseBracket);
            if (close < 0 || !IsIPv6Literal(authority[1..close]))
            {
                return false;
            }

            rest = authority[(close + 1)..];
        }
        else
        {
            int colon = authority.IndexOf(ByteColon);
            ReadOnlySpan<byte> host = colon < 0 ? authority : authority[..colon];
            if (!IsRegName(host))
            {
                return false;
            }

            rest = colon < 0 ? default : authority[colon..];
        }

        if (rest.IsEmpty)
        {
            return !requirePort;
        }

        return rest[0] == ByteColon && IsPort(rest[1..]);
    }

    private static bool IsIPv6Literal(ReadOnlySpan<byte> address)
        => address.Length >= 2 && address.IndexOfAnyExcept(IPv6Chars) < 0 && address.Contains(ByteColon);

    private static bool IsRegName(ReadOnlySpan<byte> host)
    {
        if (host.IsEmpty || host.IndexOfAnyExcept(RegNameChars) >= 0)
        {
            return false;
        }

        // pct-encoded = "%" HEXDIG HEXDIG
        int percent = host.IndexOf(BytePercent);
        while (percent >= 0)
        {
            if (percent + 2 >= host.Length || !IsHexDigit(host[percent + 1]) || !IsHexDigit(host[percent + 2]))
            {
                return false;
            }

            host = host[(percent + 3)..];
            percent = host.IndexOf(BytePercent);
        }

        return true;
    }

    private static bool IsPort(ReadOnlySpan<byte> port)
    {
        if (port.IsEmpty || port.Length > MaxPortDigits)
        {
            return false;
        }

        int value = 0;
        foreach (byte b in port)
        {
            if (!IsDigit(b))
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return value <= ushort.MaxValue;
    }
}
