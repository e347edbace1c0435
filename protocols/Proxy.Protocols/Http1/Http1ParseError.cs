namespace Proxy.Protocols.Http1;

/// <summary>Why a message was rejected. Each maps to one status code (see <see cref="Http1ParseException.StatusCode"/>).</summary>
public enum Http1ParseError : byte
{
    InvalidRequestLine,
    InvalidMethod,
    InvalidRequestTarget,
    UnsupportedVersion,
    RequestLineTooLong,
    HeadersTooLarge,
    TooManyHeaders,
    InvalidHeaderName,
    InvalidHeaderValue,
    WhitespaceBeforeColon,
    ObsoleteLineFolding,
    BareCarriageReturn,
    MissingHost,
    DuplicateHost,
    InvalidContentLength,
    DuplicateContentLength,
    ContentLengthWithTransferEncoding,
    UnsupportedTransferEncoding,
    InvalidStatusLine,
    InvalidChunkSize,
    ChunkSizeOverflow,
    InvalidChunkExtension,
    InvalidChunkTerminator,
    TrailersTooLarge,
    InvalidTrailer,

    /// <summary>A line ended in LF without the CR before it; RFC 9112 2.2 allows that leniency, this parser does not.</summary>
    BareLineFeed,

    /// <summary>A Host field whose value is not a valid authority (RFC 9110 7.2, RFC 3986 3.2).</summary>
    InvalidHost,
}
