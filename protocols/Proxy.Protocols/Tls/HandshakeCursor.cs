using System.Buffers;

namespace Proxy.Protocols.Tls;

/// <summary>
/// Reads one handshake message as if it were contiguous while it lies in the payloads of consecutive handshake records
/// (a message may be fragmented over several records, its header included: RFC 8446 5.1), which in turn lie in any
/// number of sequence segments. The message is never reassembled into a buffer and nothing is allocated: the state is
/// the wire reader, the payload bytes left in the current record, and the logical <see cref="Position"/> in the message.
/// </summary>
/// <remarks>
/// Every read takes the logical offset <c>end</c> it may not cross (the end of the enclosing vector) and rejects a read
/// past it as <see cref="ClientHelloStatus.Malformed"/>; lengths are therefore checked before their bytes are needed,
/// so a prefix of a valid hello is always <see cref="ClientHelloStatus.NeedMoreData"/>, never an error.
/// A Try method that returns false leaves the reason in <see cref="Status"/>.
/// </remarks>
internal ref struct HandshakeCursor
{
    private readonly int _maxHelloSize;
    private SequenceReader<byte> _wire;
    private int _recordRemaining;
    private int _recordHeaderBytes;
    private int _messageLength;

    public HandshakeCursor(in ReadOnlySequence<byte> buffer, int maxHelloSize)
    {
        _wire = new SequenceReader<byte>(buffer);
        _maxHelloSize = maxHelloSize;
    }

    /// <summary>Bytes of the handshake message read so far (0 is its msg_type byte).</summary>
    public int Position { get; private set; }

    /// <summary>Why the last Try method returned false.</summary>
    public ClientHelloStatus Status { get; private set; }

    /// <summary>
    /// Sets the length of the whole message (header included) once its header has been read, and applies the bound:
    /// the message plus the headers of the records carrying it must not exceed the maximum hello size.
    /// </summary>
    public bool TrySetMessageLength(int length)
    {
        _messageLength = length;
        return CheckBound();
    }

    public bool TryReadUInt8(int end, out byte value)
    {
        value = 0;
        if (end - Position < 1)
        {
            return Reject();
        }

        if (!TryEnterPayload())
        {
            return false;
        }

        if (!_wire.TryRead(out value))
        {
            return Fail(ClientHelloStatus.NeedMoreData);
        }

        _recordRemaining--;
        Position++;
        return true;
    }

    public bool TryReadUInt16(int end, out ushort value)
    {
        if (end - Position >= 2 && _recordRemaining >= 2 && _wire.TryReadBigEndian(out short both))
        {
            value = (ushort)both;
            _recordRemaining -= 2;
            Position += 2;
            return true;
        }

        // Across a record or segment boundary, or at the end of the input or the vector.
        value = 0;
        if (!TryReadUInt8(end, out byte high) || !TryReadUInt8(end, out byte low))
        {
            return false;
        }

        value = (ushort)((high << 8) | low);
        return true;
    }

    public bool TryReadUInt24(int end, out int value)
    {
        value = 0;
        if (!TryReadUInt8(end, out byte high) || !TryReadUInt16(end, out ushort low))
        {
            return false;
        }

        value = (high << 16) | low;
        return true;
    }

    /// <summary>Reads a uint8 length prefix and checks that the vector it announces ends by <paramref name="end"/>.</summary>
    public bool TryReadLength8(int end, out int length)
    {
        bool read = TryReadUInt8(end, out byte value);
        length = value;
        return read && (length <= end - Position || Reject());
    }

    /// <summary>Reads a uint16 length prefix and checks that the vector it announces ends by <paramref name="end"/>.</summary>
    public bool TryReadLength16(int end, out int length)
    {
        bool read = TryReadUInt16(end, out ushort value);
        length = value;
        return read && (length <= end - Position || Reject());
    }

    public bool TrySkip(int end, int count)
    {
        if (count > end - Position)
        {
            return Reject();
        }

        while (count > 0)
        {
            if (!TryEnterPayload())
            {
                return false;
            }

            int step = (int)Math.Min(Math.Min(count, _recordRemaining), _wire.Remaining);
            if (step == 0)
            {
                return Fail(ClientHelloStatus.NeedMoreData);
            }

            _wire.Advance(step);
            Consume(step);
            count -= step;
        }

        return true;
    }

    public bool TryCopyTo(int end, Span<byte> destination)
    {
        if (destination.Length > end - Position)
        {
            return Reject();
        }

        while (!destination.IsEmpty)
        {
            if (!TryEnterPayload())
            {
                return false;
            }

            int step = (int)Math.Min(Math.Min(destination.Length, _recordRemaining), _wire.Remaining);
            if (step == 0)
            {
                return Fail(ClientHelloStatus.NeedMoreData);
            }

            _wire.TryCopyTo(destination[..step]);
            _wire.Advance(step);
            Consume(step);
            destination = destination[step..];
        }

        return true;
    }

    /// <summary>Marks the hello <see cref="ClientHelloStatus.Malformed"/>; returns false.</summary>
    public bool Reject() => Fail(ClientHelloStatus.Malformed);

    /// <summary>Records why reading stopped; returns false.</summary>
    public bool Fail(ClientHelloStatus status)
    {
        Status = status;
        return false;
    }

    private void Consume(int count)
    {
        _recordRemaining -= count;
        Position += count;
    }

    private bool TryEnterPayload() => _recordRemaining > 0 || TryReadRecordHeader();

    /// <summary>
    /// Reads the next record header. The first one decides whether this is TLS at all, a byte at a time so that a
    /// plaintext client is told apart on its first byte; a later one that is not a non-empty handshake record is
    /// malformed (a record type change mid-message is forbidden: RFC 8446 5.1).
    /// </summary>
    private bool TryReadRecordHeader()
    {
        ClientHelloStatus wrongStart = _recordHeaderBytes == 0 ? ClientHelloStatus.NotTls : ClientHelloStatus.Malformed;
        if (!_wire.TryRead(out byte contentType))
        {
            return Fail(ClientHelloStatus.NeedMoreData);
        }

        if (contentType != TlsWire.ContentTypeHandshake)
        {
            return Fail(wrongStart);
        }

        if (!_wire.TryRead(out byte versionMajor))
        {
            return Fail(ClientHelloStatus.NeedMoreData);
        }

        if (versionMajor != TlsWire.RecordVersionMajor)
        {
            return Fail(wrongStart);
        }

        // The minor byte is not checked: a ClientHello's record says 0x0301 or 0x0303 (RFC 8446 5.1, Appendix D),
        // older clients 0x0300, and a TLS server ignores it in the first flight.
        if (_wire.Remaining < 3)
        {
            return Fail(ClientHelloStatus.NeedMoreData);
        }

        _wire.Advance(1);
        _wire.TryReadBigEndian(out short signedLength);
        int length = (ushort)signedLength;

        // Zero-length handshake fragments are forbidden (RFC 8446 5.1), and would let a client send headers forever.
        if (length is 0 or > TlsWire.MaxRecordPayloadLength)
        {
            return Reject();
        }

        _recordRemaining = length;
        _recordHeaderBytes += TlsWire.RecordHeaderLength;
        return CheckBound();
    }

    private bool CheckBound() =>
        _recordHeaderBytes + _messageLength <= _maxHelloSize || Fail(ClientHelloStatus.TooLarge);
}
