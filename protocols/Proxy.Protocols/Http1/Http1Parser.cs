using System.Buffers;

namespace Proxy.Protocols.Http1;

/// <summary>
/// RFC 9112 request- and response-head parser over <see cref="ReadOnlySequence{T}"/>. Stateless and thread-safe;
/// one instance per set of limits.
/// </summary>
/// <remarks>
/// Strict by design, because a proxy that is more lenient than the server behind it is a request-smuggling vector:
/// every line must end in CRLF, obs-fold is rejected, and framing fields must be unambiguous.
/// <para>Parsing runs in two passes over the unread bytes:</para>
/// <list type="number">
/// <item>Locate the empty line that ends the head, enforcing the size limits and the CRLF terminators line by line,
/// also while the head is incomplete (nothing is consumed then).</item>
/// <item>With the whole head present, parse the start line and each field line, calling the handler as it goes,
/// then check the fields as a whole (Host, Content-Length vs. Transfer-Encoding).</item>
/// </list>
/// A head inside one segment is parsed in place; lines that cross segments are copied to a scratch buffer.
/// Parsing allocates nothing when the handler does not.
/// </remarks>
public sealed partial class Http1Parser
{
    /// <summary>Scratch for a line that crosses segments; longer lines rent from the shared array pool.</summary>
    private const int StackScratchLength = 256;

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
    /// <remarks>
    /// The handler is called only once the whole head is present; a rejection may still come after some
    /// <see cref="IHttpHeadHandler.OnHeader"/> calls (an invalid later field, a missing Host), after which the caller
    /// discards what it was handed and answers <see cref="Http1ParseException.StatusCode"/>.
    /// </remarks>
    public bool TryParseRequestHead<THandler>(ref SequenceReader<byte> reader, ref THandler handler, out HttpHeadInfo info)
        where THandler : struct, IHttpRequestHeadHandler
    {
        if (!HeadScanner.TryLocate(reader, Limits, out int headLength))
        {
            info = default;
            return false;
        }

        ReadOnlySpan<byte> unread = reader.UnreadSpan;
        if (unread.Length >= headLength)
        {
            var lines = new HeadLineReader(unread[..headLength]);
            ParseRequestHead(ref lines, ref handler, out info);
        }
        else
        {
            ParseRequestHeadMultiSegment(reader.UnreadSequence.Slice(0, headLength), ref handler, out info);
        }

        info.HeadLength = headLength;
        reader.Advance(headLength);
        return true;
    }

    /// <summary>Parses a whole response head; same contract as <see cref="TryParseRequestHead"/>.</summary>
    /// <remarks>
    /// Host is not required. Framing fields are checked as for requests (Content-Length with Transfer-Encoding, an
    /// invalid Content-Length, a coding other than chunked: all rejected); whether a 1xx, 204 or 304 response or a
    /// HEAD request has a body is the caller's decision. A status line longer than
    /// <see cref="Http1ParserLimits.MaxRequestLineLength"/> is <see cref="Http1ParseError.RequestLineTooLong"/>.
    /// </remarks>
    public bool TryParseResponseHead<THandler>(ref SequenceReader<byte> reader, ref THandler handler, out HttpHeadInfo info)
        where THandler : struct, IHttpResponseHeadHandler
    {
        if (!HeadScanner.TryLocate(reader, Limits, out int headLength))
        {
            info = default;
            return false;
        }

        ReadOnlySpan<byte> unread = reader.UnreadSpan;
        if (unread.Length >= headLength)
        {
            var lines = new HeadLineReader(unread[..headLength]);
            ParseResponseHead(ref lines, ref handler, out info);
        }
        else
        {
            ParseResponseHeadMultiSegment(reader.UnreadSequence.Slice(0, headLength), ref handler, out info);
        }

        info.HeadLength = headLength;
        reader.Advance(headLength);
        return true;
    }

    private static void ParseRequestHeadMultiSegment<THandler>(ReadOnlySequence<byte> head, ref THandler handler, out HttpHeadInfo info)
        where THandler : struct, IHttpRequestHeadHandler
    {
        var lines = new HeadLineReader(head, stackalloc byte[StackScratchLength]);
        try
        {
            ParseRequestHead(ref lines, ref handler, out info);
        }
        finally
        {
            lines.Dispose();
        }
    }

    private static void ParseResponseHeadMultiSegment<THandler>(ReadOnlySequence<byte> head, ref THandler handler, out HttpHeadInfo info)
        where THandler : struct, IHttpResponseHeadHandler
    {
        var lines = new HeadLineReader(head, stackalloc byte[StackScratchLength]);
        try
        {
            ParseResponseHead(ref lines, ref handler, out info);
        }
        finally
        {
            lines.Dispose();
        }
    }

    private static void ParseRequestHead<THandler>(ref HeadLineReader lines, ref THandler handler, out HttpHeadInfo info)
        where THandler : struct, IHttpRequestHeadHandler
    {
        info = default;
        ParseRequestLine(lines.ReadLine(), ref handler, ref info);

        var fields = new HeadFieldState(isRequest: true);
        ReadOnlySpan<byte> line;
        while (!(line = lines.ReadLine()).IsEmpty)
        {
            fields.OnFieldLine(line, ref handler);
        }

        fields.Complete(info.Version, ref info);
    }

    private static void ParseResponseHead<THandler>(ref HeadLineReader lines, ref THandler handler, out HttpHeadInfo info)
        where THandler : struct, IHttpResponseHeadHandler
    {
        info = default;
        ParseStatusLine(lines.ReadLine(), ref handler, ref info);

        var fields = new HeadFieldState(isRequest: false);
        ReadOnlySpan<byte> line;
        while (!(line = lines.ReadLine()).IsEmpty)
        {
            fields.OnFieldLine(line, ref handler);
        }

        fields.Complete(info.Version, ref info);
    }
}
