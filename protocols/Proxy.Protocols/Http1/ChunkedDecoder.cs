using System.Buffers;

namespace Proxy.Protocols.Http1;

/// <summary>
/// Incremental decoder of the chunked transfer coding (RFC 9112 7.1): chunk sizes, extensions (validated, dropped),
/// trailers (validated, dropped, as Envoy does by default on HTTP/1), size overflow.
/// A mutable struct: keep it in a field and call <see cref="Decode"/> as data arrives.
/// </summary>
public struct ChunkedDecoder
{
    public ChunkedDecoder(Http1ParserLimits limits)
    {
        throw new NotImplementedException();
    }

    public readonly bool IsCompleted => throw new NotImplementedException();

    /// <summary>
    /// Consumes framing from <paramref name="reader"/> and returns the next slice of chunk data (already consumed
    /// from the reader) as <see cref="ChunkedDecodeStatus.Data"/>. Throws <see cref="Http1ParseException"/> (400) on
    /// invalid framing.
    /// </summary>
    public ChunkedDecodeStatus Decode(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> data)
        => throw new NotImplementedException();
}
