using System.Buffers;

namespace Proxy.Protocols.Http1;

/// <summary>Writes chunked framing (RFC 9112 7.1) around data the caller writes itself.</summary>
public static class ChunkedEncoder
{
    /// <summary>Writes <c>{size in hex}\r\n</c>. <paramref name="length"/> must be positive.</summary>
    public static void WriteChunkPrefix(IBufferWriter<byte> writer, long length) => throw new NotImplementedException();

    /// <summary>Writes the CRLF that ends a chunk's data.</summary>
    public static void WriteChunkSuffix(IBufferWriter<byte> writer) => throw new NotImplementedException();

    /// <summary>Writes <c>0\r\n\r\n</c>: the last chunk and an empty trailer section.</summary>
    public static void WriteLastChunk(IBufferWriter<byte> writer) => throw new NotImplementedException();
}
