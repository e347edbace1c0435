namespace Proxy.Protocols.Http1;

/// <summary>The one place that maps each <see cref="Http1ParseError"/> to its status code and message.</summary>
internal static class Http1ParseErrors
{
    public static int GetStatusCode(Http1ParseError error) => error switch
    {
        Http1ParseError.UnsupportedVersion => 505,
        Http1ParseError.RequestLineTooLong => 414,
        Http1ParseError.HeadersTooLarge or Http1ParseError.TooManyHeaders => 431,
        _ => 400,
    };

    public static string GetMessage(Http1ParseError error) => error switch
    {
        Http1ParseError.InvalidRequestLine => "Malformed request line.",
        Http1ParseError.InvalidMethod => "Invalid request method.",
        Http1ParseError.InvalidRequestTarget => "Invalid request target.",
        Http1ParseError.UnsupportedVersion => "HTTP version not supported.",
        Http1ParseError.RequestLineTooLong => "Request line too long.",
        Http1ParseError.HeadersTooLarge => "Header fields too large.",
        Http1ParseError.TooManyHeaders => "Too many header fields.",
        Http1ParseError.InvalidHeaderName => "Invalid header field name.",
        Http1ParseError.InvalidHeaderValue => "Invalid header field value.",
        Http1ParseError.WhitespaceBeforeColon => "Whitespace between header field name and colon.",
        Http1ParseError.ObsoleteLineFolding => "Obsolete line folding in header fields.",
        Http1ParseError.BareCarriageReturn => "CR not followed by LF.",
        Http1ParseError.MissingHost => "HTTP/1.1 request without a Host field.",
        Http1ParseError.DuplicateHost => "More than one Host field.",
        Http1ParseError.InvalidContentLength => "Invalid Content-Length.",
        Http1ParseError.DuplicateContentLength => "More than one Content-Length.",
        Http1ParseError.ContentLengthWithTransferEncoding => "Content-Length together with Transfer-Encoding.",
        Http1ParseError.UnsupportedTransferEncoding => "Unsupported Transfer-Encoding.",
        Http1ParseError.InvalidStatusLine => "Malformed status line.",
        Http1ParseError.InvalidChunkSize => "Invalid chunk size.",
        Http1ParseError.ChunkSizeOverflow => "Chunk size too large.",
        Http1ParseError.InvalidChunkExtension => "Invalid chunk extension.",
        Http1ParseError.InvalidChunkTerminator => "Chunk data not followed by CRLF.",
        Http1ParseError.TrailersTooLarge => "Trailer section too large.",
        Http1ParseError.InvalidTrailer => "Invalid trailer field.",
        Http1ParseError.BareLineFeed => "Line terminated by LF without CR.",
        Http1ParseError.InvalidHost => "Invalid Host field value.",
        _ => "Bad request.",
    };
}
