using System.Buffers;
using static Proxy.Protocols.Http1.HttpCharacters;

namespace Proxy.Protocols.Http1;

/// <summary>
/// Incremental decoder of the chunked transfer coding (RFC 9112 7.1): chunk sizes, extensions (validated, dropped),
/// trailers (validated, dropped, as Envoy does by default on HTTP/1), size overflow.
/// A mutable struct: keep it in a field and call <see cref="Decode"/> as data arrives.
/// </summary>
/// <remarks>
/// Framing is decoded byte by byte by a state machine, so it may be split anywhere and every framing byte is consumed
/// as soon as it is seen: <see cref="ChunkedDecodeStatus.NeedMoreData"/> always means the reader is at its end.
/// Chunk data is handed out as slices of the input, never copied. Strict: no whitespace after the size unless an
/// extension follows, exact CRLF everywhere, no obs-fold in trailers.
/// A chunk-size line longer than <see cref="Http1ParserLimits.MaxChunkLineLength"/> is rejected as
/// <see cref="Http1ParseError.InvalidChunkExtension"/> (only extensions can make it long: more than 16 size digits is
/// <see cref="Http1ParseError.ChunkSizeOverflow"/>); a trailer section longer than
/// <see cref="Http1ParserLimits.MaxTrailerLength"/> is <see cref="Http1ParseError.TrailersTooLarge"/>. All are 400.
/// </remarks>
public struct ChunkedDecoder
{
    /// <summary>16 hex digits already hold 64 bits; more (even leading zeros) is rejected rather than parsed.</summary>
    private const int MaxChunkSizeDigits = 16;

    private readonly Http1ParserLimits? _limits;
    private State _state;
    private long _chunkSize;
    private int _sizeDigits;
    private int _lineLength;
    private int _trailerLength;

    public ChunkedDecoder(Http1ParserLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _limits = limits;
    }

    private enum State : byte
    {
        ChunkSize,
        BwsBeforeSemicolon,
        ExtensionBwsBeforeName,
        ExtensionName,
        ExtensionBwsAfterName,
        ExtensionBwsBeforeValue,
        ExtensionToken,
        ExtensionQuoted,
        ExtensionQuotedPair,
        ExtensionAfterQuoted,
        ChunkSizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerLineStart,
        TrailerName,
        TrailerValue,
        TrailerLf,
        FinalLf,
        Completed,
    }

    /// <summary>True once the last chunk and the trailer section have been consumed.</summary>
    public readonly bool IsCompleted => _state == State.Completed;

    private readonly Http1ParserLimits Limits => _limits ?? Http1ParserLimits.Default;

    /// <summary>
    /// Consumes framing from <paramref name="reader"/> and returns the next slice of chunk data (already consumed
    /// from the reader) as <see cref="ChunkedDecodeStatus.Data"/>. Throws <see cref="Http1ParseException"/> (400) on
    /// invalid framing.
    /// </summary>
    /// <remarks>
    /// A data slice reaches to the end of the current chunk or of the input, whichever comes first.
    /// <see cref="ChunkedDecodeStatus.NeedMoreData"/> means all input was consumed; <see cref="ChunkedDecodeStatus.Completed"/>
    /// means the body ended (the reader is just past it, and later calls return Completed without consuming).
    /// </remarks>
    public ChunkedDecodeStatus Decode(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> data)
    {
        data = default;
        while (true)
        {
            if (_state == State.Completed)
            {
                return ChunkedDecodeStatus.Completed;
            }

            if (reader.End)
            {
                return ChunkedDecodeStatus.NeedMoreData;
            }

            if (_state == State.Data)
            {
                long length = Math.Min(_chunkSize, reader.Remaining);
                data = reader.UnreadSequence.Slice(0, length);
                reader.Advance(length);
                _chunkSize -= length;
                if (_chunkSize == 0)
                {
                    _state = State.DataCr;
                }

                return ChunkedDecodeStatus.Data;
            }

            reader.Advance(ConsumeFraming(reader.UnreadSpan));
        }
    }

    /// <summary>Runs the state machine over <paramref name="span"/> until data starts, the body ends, or the span does.</summary>
    /// <returns>Bytes consumed.</returns>
    private int ConsumeFraming(ReadOnlySpan<byte> span)
    {
        for (int i = 0; (uint)i < (uint)span.Length; i++)
        {
            byte b = span[i];
            if (_state < State.Data && ++_lineLength > Limits.MaxChunkLineLength)
            {
                Http1ThrowHelper.Throw(Http1ParseError.InvalidChunkExtension);
            }
            else if (_state >= State.TrailerLineStart && ++_trailerLength > Limits.MaxTrailerLength)
            {
                Http1ThrowHelper.Throw(Http1ParseError.TrailersTooLarge);
            }

            switch (_state)
            {
                case State.ChunkSize:
                    OnChunkSizeByte(b);
                    break;
                case State.BwsBeforeSemicolon:
                    // BWS belongs to the next ";": whitespace before CRLF is not chunk-ext grammar.
                    _state = b == ByteSemicolon ? State.ExtensionBwsBeforeName : ExpectWhitespace(b, _state);
                    break;
                case State.ExtensionBwsBeforeName:
                    _state = TokenChars.Contains(b) ? State.ExtensionName : ExpectWhitespace(b, _state);
                    break;
                case State.ExtensionName:
                    _state = b switch
                    {
                        ByteEquals => State.ExtensionBwsBeforeValue,
                        ByteSemicolon => State.ExtensionBwsBeforeName,
                        ByteSpace or ByteTab => State.ExtensionBwsAfterName,
                        ByteCR => State.ChunkSizeLf,
                        _ => TokenChars.Contains(b) ? _state : RejectExtension(),
                    };
                    break;
                case State.ExtensionBwsAfterName:
                    _state = b switch
                    {
                        ByteEquals => State.ExtensionBwsBeforeValue,
                        ByteSemicolon => State.ExtensionBwsBeforeName,
                        _ => ExpectWhitespace(b, _state),
                    };
                    break;
                case State.ExtensionBwsBeforeValue:
                    _state = b == ByteQuote ? State.ExtensionQuoted
                        : TokenChars.Contains(b) ? State.ExtensionToken
                        : ExpectWhitespace(b, _state);
                    break;
                case State.ExtensionToken:
                    _state = b switch
                    {
                        ByteSemicolon => State.ExtensionBwsBeforeName,
                        ByteSpace or ByteTab => State.BwsBeforeSemicolon,
                        ByteCR => State.ChunkSizeLf,
                        _ => TokenChars.Contains(b) ? _state : RejectExtension(),
                    };
                    break;
                case State.ExtensionQuoted:
                    // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (RFC 9110 5.6.4)
                    _state = b switch
                    {
                        ByteQuote => State.ExtensionAfterQuoted,
                        ByteBackslash => State.ExtensionQuotedPair,
                        _ => InvalidFieldValueChars.Contains(b) ? RejectExtension() : _state,
                    };
                    break;
                case State.ExtensionQuotedPair:
                    _state = InvalidFieldValueChars.Contains(b) ? RejectExtension() : State.ExtensionQuoted;
                    break;
                case State.ExtensionAfterQuoted:
                    _state = b switch
                    {
                        ByteSemicolon => State.ExtensionBwsBeforeName,
                        ByteSpace or ByteTab => State.BwsBeforeSemicolon,
                        ByteCR => State.ChunkSizeLf,
                        _ => RejectExtension(),
                    };
                    break;
                case State.ChunkSizeLf:
                    if (b != ByteLF)
                    {
                        Http1ThrowHelper.Throw(Http1ParseError.InvalidChunkSize);
                    }

                    // The last chunk ("0") is followed by the trailer section instead of data (RFC 9112 7.1).
                    _state = _chunkSize == 0 ? State.TrailerLineStart : State.Data;
                    if (_state == State.Data)
                    {
                        return i + 1;
                    }

                    break;
                case State.DataCr:
                    _state = b == ByteCR ? State.DataLf : RejectChunkTerminator();
                    break;
                case State.DataLf:
                    _state = b == ByteLF ? State.ChunkSize : RejectChunkTerminator();
                    _chunkSize = 0;
                    _sizeDigits = 0;
                    _lineLength = 0;
                    break;
                case State.TrailerLineStart:
                    // A trailer field line is validated like a header field line (RFC 9112 7.1.2, 5), obs-fold included.
                    _state = b == ByteCR ? State.FinalLf
                        : TokenChars.Contains(b) ? State.TrailerName
                        : RejectTrailer();
                    break;
                case State.TrailerName:
                    _state = b == ByteColon ? State.TrailerValue
                        : TokenChars.Contains(b) ? _state
                        : RejectTrailer();
                    break;
                case State.TrailerValue:
                    _state = b == ByteCR ? State.TrailerLf
                        : InvalidFieldValueChars.Contains(b) ? RejectTrailer()
                        : _state;
                    break;
                case State.TrailerLf:
                    _state = b == ByteLF ? State.TrailerLineStart : RejectTrailer();
                    break;
                case State.FinalLf:
                    _state = b == ByteLF ? State.Completed : RejectTrailer();
                    return i + 1;
            }
        }

        return span.Length;
    }

    private void OnChunkSizeByte(byte b)
    {
        int digit = HexValue(b);
        if (digit >= 0)
        {
            if (++_sizeDigits > MaxChunkSizeDigits || _chunkSize > (long.MaxValue >> 4))
            {
                Http1ThrowHelper.Throw(Http1ParseError.ChunkSizeOverflow);
            }

            _chunkSize = (_chunkSize << 4) | (uint)digit;
            return;
        }

        if (_sizeDigits == 0)
        {
            Http1ThrowHelper.Throw(Http1ParseError.InvalidChunkSize);
        }

        _state = b switch
        {
            ByteSemicolon => State.ExtensionBwsBeforeName,
            ByteSpace or ByteTab => State.BwsBeforeSemicolon,
            ByteCR => State.ChunkSizeLf,
            _ => RejectChunkSize(),
        };
    }

    private static State ExpectWhitespace(byte b, State state) => IsWhitespace(b) ? state : RejectExtension();

    private static State RejectChunkSize()
    {
        Http1ThrowHelper.Throw(Http1ParseError.InvalidChunkSize);
        return default;
    }

    private static State RejectExtension()
    {
        Http1ThrowHelper.Throw(Http1ParseError.InvalidChunkExtension);
        return default;
    }

    private static State RejectChunkTerminator()
    {
        Http1ThrowHelper.Throw(Http1ParseError.InvalidChunkTerminator);
        return default;
    }

    private static State RejectTrailer()
    {
        Http1ThrowHelper.Throw(Http1ParseError.InvalidTrailer);
        return default;
    }
}
