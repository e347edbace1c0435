using System.Text;

namespace Proxy.Engine.Http;

/// <summary>Reads the comma-separated token list of a Connection field (RFC 9110 7.6.1).</summary>
internal static class ConnectionTokens
{
    /// <summary>Whether <paramref name="listValue"/> names <paramref name="fieldName"/> (case-insensitive).</summary>
    public static bool Names(ReadOnlySpan<byte> listValue, ReadOnlySpan<byte> fieldName)
    {
        while (listValue.Length > 0)
        {
            var comma = listValue.IndexOf((byte)',');
            var token = comma < 0 ? listValue : listValue[..comma];
            if (Ascii.EqualsIgnoreCase(token.Trim(" \t"u8), fieldName))
            {
                return true;
            }

            if (comma < 0)
            {
                break;
            }

            listValue = listValue[(comma + 1)..];
        }

        return false;
    }
}
