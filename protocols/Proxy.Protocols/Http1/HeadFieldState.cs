using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using static Proxy.Protocols.Http1.HttpCharacters;

namespace Proxy.Protocols.Http1;

/// <summary>
/// What the framing-relevant fields of one head said so far (RFC 9112 6), accumulated field by field and checked as a
/// whole by <see cref="Complete"/>.
/// </summary>
internal struct HeadFieldState
{
    private readonly bool _isRequest;
    private long _contentLength;
    private int _hostCount;
    private bool _hasTransferEncoding;
    private bool _isChunked;
    private ConnectionOptions _connection;
    private bool _hasUpgrade;
    private bool _expectContinue;
    private int _fieldCount;

    public HeadFieldState(bool isRequest)
    {
        _isRequest = isRequest;
        _contentLength = -1;
    }

    /// <summary>Validates and records one field line (without CRLF), then hands it to <paramref name="handler"/>.</summary>
    public void OnFieldLine<THandler>(ReadOnlySpan<byte> line, ref THandler handler)
        where THandler : struct, IHttpHeadHandler
    {
        // A field line never starts with whitespace: obs-fold (RFC 9112 5.2), or whitespace between the start line and
        // the first field (RFC 9112 2.2), both of which a server must reject.
        if (IsWhitespace(line[0]))
        {
            Http1ThrowHelper.ThrowForLine(line, Http1ParseError.ObsoleteLineFolding);
        }

        int colon = line.IndexOf(ByteColon);
        if (colon <= 0)
        {
            Http1ThrowHelper.ThrowForLine(line, Http1ParseError.InvalidHeaderName);
        }

        ReadOnlySpan<byte> name = line[..colon];
        if (name.IndexOfAnyExcept(TokenChars) >= 0)
        {
            RejectFieldName(line, name);
        }

        ReadOnlySpan<byte> value = TrimWhitespace(line[(colon + 1)..]);
        if (value.IndexOfAny(InvalidFieldValueChars) >= 0)
        {
            Http1ThrowHelper.ThrowForLine(line, Http1ParseError.InvalidHeaderValue);
        }

        _fieldCount++;
        KnownHeader header = KnownHeaders.Recognize(name);
        if (header != KnownHeader.None)
        {
            OnKnownHeader(header, value);
        }

        handler.OnHeader(header, name, value);
    }

    /// <summary>Checks the fields as a whole and fills the framing part of <paramref name="info"/>.</summary>
    public readonly void Complete(Http1Version version, ref HttpHeadInfo info)
    {
        if (_hasTransferEncoding)
        {
            // RFC 9112 6.1/6.3: a message with both is a smuggling vector; an intermediary must not forward it.
            if (_contentLength >= 0)
            {
                Http1ThrowHelper.Throw(Http1ParseError.ContentLengthWithTransferEncoding);
            }

            // RFC 9112 6.1: HTTP/1.0 with Transfer-Encoding has faulty framing; we reject instead of guessing.
            if (!_isChunked || version == Http1Version.Http10)
            {
                Http1ThrowHelper.Throw(Http1ParseError.UnsupportedTransferEncoding);
            }
        }

        // RFC 9112 3.2: a server must answer 400 to an HTTP/1.1 request without Host.
        if (_isRequest && _hostCount == 0 && version == Http1Version.Http11)
        {
            Http1ThrowHelper.Throw(Http1ParseError.MissingHost);
        }

        info.ContentLength = _contentLength;
        info.IsChunked = _isChunked;
        info.Connection = _connection;
        info.HasUpgrade = _hasUpgrade;
        info.ExpectContinue = _expectContinue;
        info.HeaderCount = _fieldCount;
    }

    [DoesNotReturn]
    [StackTraceHidden]
    private static void RejectFieldName(ReadOnlySpan<byte> line, ReadOnlySpan<byte> name)
    {
        // RFC 9112 5.1: no whitespace is allowed between the field name and the colon; a server must answer 400.
        Http1ThrowHelper.ThrowForLine(
            line,
            IsWhitespace(name[^1]) ? Http1ParseError.WhitespaceBeforeColon : Http1ParseError.InvalidHeaderName);
    }

    private void OnKnownHeader(KnownHeader header, ReadOnlySpan<byte> value)
    {
        switch (header)
        {
            case KnownHeader.Host when _isRequest:
                // RFC 9112 3.2: more than one Host, or an invalid one, is a 400.
                if (++_hostCount > 1)
                {
                    Http1ThrowHelper.Throw(Http1ParseError.DuplicateHost);
                }

                if (!HttpAuthority.IsValid(value, requirePort: false))
                {
                    Http1ThrowHelper.Throw(Http1ParseError.InvalidHost);
                }

                break;
            case KnownHeader.ContentLength:
                OnContentLength(value);
                break;
            case KnownHeader.TransferEncoding:
                OnTransferEncoding(value);
                break;
            case KnownHeader.Connection:
                OnConnection(value);
                break;
            case KnownHeader.Upgrade:
                _hasUpgrade = true;
                break;
            case KnownHeader.Expect when _isRequest:
                _expectContinue |= Ascii.EqualsIgnoreCase(value, "100-continue"u8);
                break;
        }
    }

    private void OnContentLength(ReadOnlySpan<byte> value)
    {
        // RFC 9112 6.3: a proxy must reject several differing values; we reject any repetition, even of equal values,
        // in one field ("5, 5") or several, as Envoy and Kestrel do, rather than pick one.
        if (_contentLength >= 0 || value.Contains(ByteComma))
        {
            Http1ThrowHelper.Throw(Http1ParseError.DuplicateContentLength);
        }

        if (value.IsEmpty)
        {
            Http1ThrowHelper.Throw(Http1ParseError.InvalidContentLength);
        }

        long length = 0;
        foreach (byte b in value)
        {
            uint digit = (uint)(b - '0');
            if (digit > 9 || length > (long.MaxValue - digit) / 10)
            {
                Http1ThrowHelper.Throw(Http1ParseError.InvalidContentLength);
            }

            length = (length * 10) + digit;
        }

        _contentLength = length;
    }

    private void OnTransferEncoding(ReadOnlySpan<byte> value)
    {
        // Fields of the same name form one list (RFC 9110 5.3). The only coding we accept is one chunked, which is
        // then necessarily final (RFC 9112 6.3: a request whose final coding is not chunked is a 400); any other coding
        // would need a decoder we do not have, and chunked twice is invalid (RFC 9112 7).
        _hasTransferEncoding = true;
        while (!value.IsEmpty)
        {
            int comma = value.IndexOf(ByteComma);
            ReadOnlySpan<byte> coding = TrimWhitespace(comma < 0 ? value : value[..comma]);
            value = comma < 0 ? default : value[(comma + 1)..];
            if (coding.IsEmpty)
            {
                continue; // RFC 9110 5.6.1: empty list elements are ignored.
            }

            if (_isChunked || !Ascii.EqualsIgnoreCase(coding, "chunked"u8))
            {
                Http1ThrowHelper.Throw(Http1ParseError.UnsupportedTransferEncoding);
            }

            _isChunked = true;
        }
    }

    private void OnConnection(ReadOnlySpan<byte> value)
    {
        while (!value.IsEmpty)
        {
            int comma = value.IndexOf(ByteComma);
            ReadOnlySpan<byte> option = TrimWhitespace(comma < 0 ? value : value[..comma]);
            value = comma < 0 ? default : value[(comma + 1)..];
            if (option.IsEmpty)
            {
                continue;
            }

            if (Ascii.EqualsIgnoreCase(option, "close"u8))
            {
                _connection |= ConnectionOptions.Close;
            }
            else if (Ascii.EqualsIgnoreCase(option, "keep-alive"u8))
            {
                _connection |= ConnectionOptions.KeepAlive;
            }
            else if (Ascii.EqualsIgnoreCase(option, "upgrade"u8))
            {
                _connection |= ConnectionOptions.Upgrade;
            }
            else
            {
                _connection |= ConnectionOptions.Other;
            }
        }
    }
}
