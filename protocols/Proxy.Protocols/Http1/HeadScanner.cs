using System.Buffers;
using static Proxy.Protocols.Http1.HttpCharacters;

namespace Proxy.Protocols.Http1;

/// <summary>
/// Pass 1 of parsing a head: finds the empty line that ends it, line by line, and enforces the size limits and the
/// CRLF line terminator on the way, including on a head that is not complete yet. Touches no handler.
/// </summary>
/// <remarks>
/// The same checks run in the same order whether the head arrives whole or in pieces, so an invalid head is rejected
/// with the same error however it was split: a limit that an incomplete head already reaches is the limit the
/// complete head would exceed (a line of L bytes before its LF is L + 1 bytes long).
/// </remarks>
internal struct HeadScanner
{
    private readonly Http1ParserLimits _limits;
    private long _startLineLength;
    private long _headerBytes;
    private int _fieldCount;

    private HeadScanner(Http1ParserLimits limits)
    {
        _limits = limits;
    }

    /// <summary>Scans the unread bytes of <paramref name="reader"/> without moving it.</summary>
    /// <returns>True and <paramref name="headLength"/> when the empty line has been found.</returns>
    public static bool TryLocate(in SequenceReader<byte> reader, Http1ParserLimits limits, out int headLength)
    {
        var scanner = new HeadScanner(limits);

        // Fast path: the head usually sits in the current segment.
        ReadOnlySpan<byte> span = reader.UnreadSpan;
        int position = 0;
        int lf;
        while ((lf = span[position..].IndexOf(ByteLF)) >= 0)
        {
            bool endsWithCrLf = lf > 0 && span[position + lf - 1] == ByteCR;
            position += lf + 1;
            if (scanner.OnLine(lf + 1, endsWithCrLf))
            {
                headLength = position;
                return true;
            }
        }

        if (reader.Remaining == span.Length)
        {
            scanner.OnIncomplete(span.Length - position);
            headLength = 0;
            return false;
        }

        return scanner.TryLocateMultiSegment(reader.UnreadSequence, position, out headLength);
    }

    private bool TryLocateMultiSegment(ReadOnlySequence<byte> buffer, int scanned, out int headLength)
    {
        var reader = new SequenceReader<byte>(buffer);
        reader.Advance(scanned);
        while (reader.TryReadTo(out ReadOnlySequence<byte> line, ByteLF))
        {
            bool endsWithCrLf = !line.IsEmpty && line.Slice(line.Length - 1).FirstSpan[0] == ByteCR;
            if (OnLine(line.Length + 1, endsWithCrLf))
            {
                headLength = checked((int)reader.Consumed);
                return true;
            }
        }

        OnIncomplete(reader.Remaining);
        headLength = 0;
        return false;
    }

    /// <param name="length">The line's length including its LF.</param>
    /// <param name="endsWithCrLf">Whether a CR precedes the LF.</param>
    /// <returns>True when this was the empty line that ends the head.</returns>
    private bool OnLine(long length, bool endsWithCrLf)
    {
        if (_startLineLength == 0)
        {
            if (length > _limits.MaxRequestLineLength)
            {
                Http1ThrowHelper.Throw(Http1ParseError.RequestLineTooLong);
            }

            if (!endsWithCrLf)
            {
                Http1ThrowHelper.Throw(Http1ParseError.BareLineFeed);
            }

            _startLineLength = length;
            return false;
        }

        _headerBytes += length;
        if (_headerBytes > _limits.MaxHeaderBlockLength)
        {
            Http1ThrowHelper.Throw(Http1ParseError.HeadersTooLarge);
        }

        if (!endsWithCrLf)
        {
            Http1ThrowHelper.Throw(Http1ParseError.BareLineFeed);
        }

        if (length == 2)
        {
            return true;
        }

        if (++_fieldCount > _limits.MaxHeaderCount)
        {
            Http1ThrowHelper.Throw(Http1ParseError.TooManyHeaders);
        }

        return false;
    }

    /// <param name="tail">Bytes buffered after the last complete line: the start of a line whose LF has not arrived.</param>
    private readonly void OnIncomplete(long tail)
    {
        if (_startLineLength == 0)
        {
            if (tail >= _limits.MaxRequestLineLength)
            {
                Http1ThrowHelper.Throw(Http1ParseError.RequestLineTooLong);
            }
        }
        else if (_headerBytes + tail >= _limits.MaxHeaderBlockLength)
        {
            Http1ThrowHelper.Throw(Http1ParseError.HeadersTooLarge);
        }
    }
}
