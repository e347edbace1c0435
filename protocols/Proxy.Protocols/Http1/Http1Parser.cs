using System.Buffers;

namespace Proxy.Protocols.Http1;

/// <summary>
/// RFC 9112 request- and response-head parser over <see cref="ReadOnlySequence{T}"/>. Stateless and thread-safe;
/// one instance per set of limits.
/// </summary>
public sealed class Http1Parser
{
    public Http1Parser(Http1ParserLimits? limits = null)
    {
        Limits = limits ?? Http1ParserLimits.Default;
    }

    public Http1ParserLimits Limits { get; }

    /// <summary>
    /// Parses a whole request head. Returns false, consuming nothing, when the head is not complete yet
    /// (the caller marks everything examined and reads more). Throws <see cref="Http1ParseException"/> when the
    /// input is invalid or a limit is exceeded, including while incomplete (a request line longer than the limit
    /// without CRLF is 414 as soon as it is seen). On success the reader is advanced past the empty line.
    /// </summary>
    public bool TryParseRequestHead<THandler>(ref SequenceReader<byte> reader, ref THandler handler, out HttpHeadInfo info)
        where THandler : struct, IHttpRequestHeadHandler
        => throw new NotImplementedException();

    /// <summary>Parses a whole response head; same contract as <see cref="TryParseRequestHead"/>.</summary>
    public bool TryParseResponseHead<THandler>(ref SequenceReader<byte> reader, ref THandler handler, out HttpHeadInfo info)
        where THandler : struct, IHttpResponseHeadHandler
        => throw new NotImplementedException();
}
