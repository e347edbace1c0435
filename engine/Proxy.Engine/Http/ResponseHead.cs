using Proxy.Protocols.Http1;

namespace Proxy.Engine.Http;

/// <summary>An upstream response head held between parsing it and writing it downstream. Reused per connection.</summary>
internal sealed class ResponseHead
{
    private byte[] _buffer = new byte[1024];
    private int _used;
    private Field[] _fields = new Field[16];
    private int _count;
    private (int Start, int Length) _reason;

    public int StatusCode { get; private set; }

    public Http1Version Version { get; private set; }

    public int FieldCount => _count;

    public ReadOnlySpan<byte> ReasonPhrase => _buffer.AsSpan(_reason.Start, _reason.Length);

    public ReadOnlySpan<byte> GetName(int index) => _buffer.AsSpan(_fields[index].NameStart, _fields[index].NameLength);

    public ReadOnlySpan<byte> GetValue(int index) => _buffer.AsSpan(_fields[index].ValueStart, _fields[index].ValueLength);

    public KnownHeader GetKnown(int index) => _fields[index].Known;

    /// <summary>Finds the first field with this name (ASCII case-insensitive).</summary>
    public bool TryGetValue(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        for (var i = 0; i < _count; i++)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(GetName(i), name))
            {
                value = GetValue(i);
                return true;
            }
        }

        value = default;
        return false;
    }

    public void Reset()
    {
        _used = 0;
        _count = 0;
        _reason = default;
        StatusCode = 0;
    }

    public void SetStatusLine(Http1Version version, int statusCode, ReadOnlySpan<byte> reason)
    {
        Version = version;
        StatusCode = statusCode;
        _reason = Append(reason);
    }

    public void AddField(KnownHeader known, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (_count == _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
        }

        var n = Append(name);
        var v = Append(value);
        _fields[_count++] = new Field(n.Start, n.Length, v.Start, v.Length, known);
    }

    private (int Start, int Length) Append(ReadOnlySpan<byte> bytes)
    {
        if (_buffer.Length - _used < bytes.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _used + bytes.Length));
        }

        bytes.CopyTo(_buffer.AsSpan(_used));
        var start = _used;
        _used += bytes.Length;
        return (start, bytes.Length);
    }

    private readonly record struct Field(int NameStart, int NameLength, int ValueStart, int ValueLength, KnownHeader Known);
}
