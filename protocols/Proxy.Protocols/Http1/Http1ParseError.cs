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
}
