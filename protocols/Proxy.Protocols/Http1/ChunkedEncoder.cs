using System.Buffers;
using System.Numerics;
using static Proxy.Protocols.Http1.HttpCharacters;

namespace Proxy.Protocols.Http1;

/// <summary>Writes chunked framing (RFC 9112 7.1) around data the caller writes itself.</summary>
public static class ChunkedEncoder
{
    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    /// <summary>Writes <c>{size in hex}\r\n</c>. <paramref name="length"/> must be positive.</summary>
    public static void WriteChunkPrefix(IBufferWriter<byte> writer, long length)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);

        // Significant nibbles of a positive long: 1 to 16.
        int digits = (64 - BitOperations.LeadingZeroCount((ulong)length) + 3) >> 2;
        Span<byte> span = writer.GetSpan(digits + 2);
        ulong value = (ulong)length;
        for (int i = digits - 1; i >= 0; i--)
        {
            span[i] = HexDigits[(int)(value & 0xF)];
            value >>= 4;
        }

        span[digits] = ByteCR;
        span[digits + 1] = ByteLF;
        writer.Advance(digits + 2);
    }

    /// <summary>Writes the CRLF that ends a chunk's data.</summary>
    public static void WriteChunkSuffix(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Write(writer, "\r\n"u8);
    }

    /// <summary>Writes <c>0\r\n\r\n</c>: the last chunk and an empty trailer section.</summary>
    public static void WriteLastChunk(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Write(writer, "0\r\n\r\n"u8);
    }

    private static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(writer.GetSpan(bytes.Length));
        writer.Advance(bytes.Length);
    }
}
