using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Proxy.Engine.Http;

/// <summary>
/// Writes a message head into a buffer writer (a pipe, or a mirror's pooled copy) span by span, committing only when a
/// span is full or at <see cref="Commit"/>. Never allocates; the memory is the writer's (a pipe's pooled blocks).
/// </summary>
internal ref struct HeadWriter
{
    private readonly IBufferWriter<byte> _writer;
    private Span<byte> _span;
    private int _buffered;

    public HeadWriter(IBufferWriter<byte> writer)
    {
        _writer = writer;
        _span = writer.GetSpan();
        _buffered = 0;
    }

    public void Write(scoped ReadOnlySpan<byte> source)
    {
        if ((uint)source.Length <= (uint)(_span.Length - _buffered))
        {
            source.CopyTo(_span[_buffered..]);
            _buffered += source.Length;
            return;
        }

        WriteMultiSpan(source);
    }

    public void WriteByte(byte value)
    {
        if (_buffered == _span.Length)
        {
            NextSpan(1);
        }

        _span[_buffered++] = value;
    }

    public void WriteNumber(long value)
    {
        if (_span.Length - _buffered < 20)
        {
            NextSpan(20);
        }

        Utf8Formatter.TryFormat(value, _span[_buffered..], out var written);
        _buffered += written;
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (a regex rewrite's result).</summary>
    public void WriteUtf8(scoped ReadOnlySpan<char> text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_span.Length - _buffered < max)
        {
            NextSpan(max);
        }

        _buffered += Encoding.UTF8.GetBytes(text, _span[_buffered..]);
    }

    /// <summary>Writes <c>name: value\r\n</c>.</summary>
    public void WriteHeader(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> value)
    {
        Write(name);
        Write(": "u8);
        Write(value);
        Write("\r\n"u8);
    }

    /// <summary>Hands what was written to the pipe (not flushed).</summary>
    public void Commit()
    {
        if (_buffered > 0)
        {
            _writer.Advance(_buffered);
            _buffered = 0;
            _span = default;
        }
    }

    private void WriteMultiSpan(scoped ReadOnlySpan<byte> source)
    {
        while (source.Length > 0)
        {
            if (_buffered == _span.Length)
            {
                NextSpan(1);
            }

            var count = Math.Min(source.Length, _span.Length - _buffered);
            source[..count].CopyTo(_span[_buffered..]);
            _buffered += count;
            source = source[count..];
        }
    }

    private void NextSpan(int sizeHint)
    {
        Commit();
        _span = _writer.GetSpan(sizeHint);
    }
}
