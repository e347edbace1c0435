using System.Buffers;
using System.Diagnostics;
using static Proxy.Protocols.Http1.HttpCharacters;

namespace Proxy.Protocols.Http1;

/// <summary>
/// Pass 2 of parsing a head: hands out its lines (without CRLF) once <see cref="HeadScanner"/> has found the whole head
/// and proved every line ends in CRLF. A line inside one segment is handed out in place; only a line that crosses a
/// segment boundary is copied, into the caller's stack scratch or, if longer, a pooled array.
/// </summary>
internal ref struct HeadLineReader
{
    private ReadOnlySpan<byte> _span;
    private SequenceReader<byte> _reader;
    private readonly bool _isMultiSegment;
    private Span<byte> _scratch;
    private byte[]? _rented;

    /// <summary>Lines of a head that lies in one span.</summary>
    public HeadLineReader(ReadOnlySpan<byte> head)
    {
        _span = head;
    }

    /// <summary>Lines of a head spread over segments.</summary>
    public HeadLineReader(ReadOnlySequence<byte> head, Span<byte> scratch)
    {
        _reader = new SequenceReader<byte>(head);
        _isMultiSegment = true;
        _scratch = scratch;
    }

    /// <summary>The next line without its CRLF; empty for the line that ends the head.</summary>
    public ReadOnlySpan<byte> ReadLine()
    {
        if (!_isMultiSegment)
        {
            int lf = _span.IndexOf(ByteLF);
            Debug.Assert(lf >= 1, "HeadScanner proved every line ends in CRLF.");
            ReadOnlySpan<byte> line = _span[..(lf - 1)];
            _span = _span[(lf + 1)..];
            return line;
        }

        return ReadLineMultiSegment();
    }

    private ReadOnlySpan<byte> ReadLineMultiSegment()
    {
        ReadOnlySpan<byte> unread = _reader.UnreadSpan;
        int lf = unread.IndexOf(ByteLF);
        if (lf >= 0)
        {
            // The line starts in this segment, so lf == 0 would be a bare LF, which the scanner rejected.
            Debug.Assert(lf >= 1, "HeadScanner proved every line ends in CRLF.");
            _reader.Advance(lf + 1);
            return unread[..(lf - 1)];
        }

        bool found = _reader.TryReadTo(out ReadOnlySequence<byte> line, ByteLF);
        Debug.Assert(found && line.Length >= 1, "HeadScanner proved the head holds whole lines.");
        int length = (int)line.Length;
        if (length > _scratch.Length)
        {
            ReturnRented();
            _rented = ArrayPool<byte>.Shared.Rent(length);
            _scratch = _rented;
        }

        line.CopyTo(_scratch);
        return _scratch[..(length - 1)];
    }

    public void Dispose() => ReturnRented();

    private void ReturnRented()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }
}
