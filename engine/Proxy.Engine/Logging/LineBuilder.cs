using System.Buffers;

namespace Proxy.Engine.Logging;

/// <summary>Builds one access-log line in a buffer rented from the shared pool, growing it when a line is long.</summary>
internal ref struct LineBuilder
{
    private byte[] _buffer;
    private int _length;

    public LineBuilder(int initialSize)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialSize);
        _length = 0;
    }

    public readonly int Length => _length;

    /// <summary>Hands the buffer over (the receiver returns it to the shared pool).</summary>
    public readonly byte[] Buffer => _buffer;

    public void Write(ReadOnlySpan<byte> value)
    {
        value.CopyTo(GetSpan(value.Length));
        _length += value.Length;
    }

    public void Write(byte value)
    {
        GetSpan(1)[0] = value;
        _length++;
    }

    public void Write(long value)
    {
        var span = GetSpan(20);
        value.TryFormat(span, out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
        _length += written;
    }

    /// <summary>Writes an ASCII string (names from configuration) byte per char.</summary>
    public void WriteAscii(string value)
    {
        var span = GetSpan(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            span[i] = (byte)value[i];
        }

        _length += value.Length;
    }

    /// <summary>A span of at least <paramref name="size"/> bytes at the end; <see cref="Advance"/> then.</summary>
    public Span<byte> GetSpan(int size)
    {
        if (_buffer.Length - _length < size)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + size));
            _buffer.AsSpan(0, _length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
        }

        return _buffer.AsSpan(_length);
    }

    public void Advance(int count) => _length += count;

    /// <summary>Returns the buffer when the line is not handed over.</summary>
    public readonly void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
}
