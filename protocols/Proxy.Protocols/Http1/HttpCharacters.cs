using System.Buffers;

namespace Proxy.Protocols.Http1;

/// <summary>Byte constants and the character classes of RFC 9110/9112 as vectorizable <see cref="SearchValues{T}"/>.</summary>
internal static class HttpCharacters
{
    public const byte ByteCR = (byte)'\r';
    public const byte ByteLF = (byte)'\n';
    public const byte ByteSpace = (byte)' ';
    public const byte ByteTab = (byte)'\t';
    public const byte ByteColon = (byte)':';
    public const byte ByteComma = (byte)',';
    public const byte ByteSemicolon = (byte)';';
    public const byte ByteEquals = (byte)'=';
    public const byte ByteQuote = (byte)'"';
    public const byte ByteBackslash = (byte)'\\';
    public const byte ByteSlash = (byte)'/';
    public const byte ByteAsterisk = (byte)'*';
    public const byte ByteQuestion = (byte)'?';
    public const byte ByteOpenBracket = (byte)'[';
    public const byte ByteCloseBracket = (byte)']';
    public const byte BytePercent = (byte)'%';

    private const string Alphanumerics = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>tchar (RFC 9110 5.6.2): method tokens, field names, chunk-extension names and token values.</summary>
    public static readonly SearchValues<byte> TokenChars = SearchValues.Create(Ascii("!#$%&'*+-.^_`|~" + Alphanumerics));

    /// <summary>
    /// Bytes a field value may not hold (RFC 9110 5.5): CTLs other than HTAB, and DEL. obs-text (0x80-0xFF) is allowed.
    /// Searched for (not its complement) so the set stays ASCII and the search stays vectorized.
    /// </summary>
    public static readonly SearchValues<byte> InvalidFieldValueChars = SearchValues.Create(InvalidFieldValueBytes());

    /// <summary>
    /// Bytes a request-target may hold: VCHAR except '#' (a fragment is never sent, RFC 9112 3.2); no SP, CTL or non-ASCII.
    /// </summary>
    public static readonly SearchValues<byte> TargetChars = SearchValues.Create(TargetBytes());

    /// <summary>reg-name bytes (RFC 3986 3.2.2): unreserved, sub-delims and '%' of pct-encoded; IPv4 is a subset.</summary>
    public static readonly SearchValues<byte> RegNameChars = SearchValues.Create(Ascii("-._~!$&'()*+,;=%" + Alphanumerics));

    /// <summary>Bytes of an IPv6address inside an IP-literal (RFC 3986 3.2.2).</summary>
    public static readonly SearchValues<byte> IPv6Chars = SearchValues.Create(Ascii("0123456789ABCDEFabcdef:."));

    public static bool IsWhitespace(byte b) => b is ByteSpace or ByteTab;

    public static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    public static bool IsHexDigit(byte b) => HexValue(b) >= 0;

    /// <summary>The value of a hex digit, or -1.</summary>
    public static int HexValue(byte b)
    {
        if ((uint)(b - '0') <= 9)
        {
            return b - '0';
        }

        uint lower = (uint)((b | 0x20) - 'a');
        return lower <= 5 ? (int)lower + 10 : -1;
    }

    /// <summary>Removes leading and trailing OWS (SP / HTAB).</summary>
    public static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> value)
    {
        int start = 0;
        while ((uint)start < (uint)value.Length && IsWhitespace(value[start]))
        {
            start++;
        }

        int end = value.Length - 1;
        while (end >= start && IsWhitespace(value[end]))
        {
            end--;
        }

        return value[start..(end + 1)];
    }

    private static byte[] Ascii(string chars) => System.Text.Encoding.ASCII.GetBytes(chars);

    private static byte[] InvalidFieldValueBytes()
    {
        var bytes = new List<byte>(32);
        for (int b = 0; b < 0x20; b++)
        {
            if (b != ByteTab)
            {
                bytes.Add((byte)b);
            }
        }

        bytes.Add(0x7F);
        return [.. bytes];
    }

    private static byte[] TargetBytes()
    {
        var bytes = new List<byte>(94);
        for (int b = 0x21; b < 0x7F; b++)
        {
            if (b != '#')
            {
                bytes.Add((byte)b);
            }
        }

        return [.. bytes];
    }
}
