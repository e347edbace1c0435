using System.Text;

namespace Proxy.Engine.Http;

/// <summary>
/// Status lines for replies the proxy writes itself (redirects, direct responses, injected aborts, CORS preflights),
/// built once per status code. Reason phrases are RFC 9110's; a code without one gets <c>Unknown</c>, as Envoy's
/// <c>CodeUtility::toString</c> does.
/// </summary>
internal static class ReasonPhrases
{
    private static readonly byte[]?[] StatusLines = new byte[]?[600];

    /// <summary><c>HTTP/1.1 NNN Reason\r\n</c> for a status from 100 to 599; anything else is written as 500 (config
    /// validation keeps such codes out).</summary>
    public static byte[] StatusLine(int statusCode)
    {
        if ((uint)(statusCode - 100) >= (uint)(StatusLines.Length - 100))
        {
            statusCode = 500;
        }

        // Built on first use of a code and kept; a race builds identical bytes twice.
        return StatusLines[statusCode] ??= Encoding.ASCII.GetBytes($"HTTP/1.1 {statusCode} {Phrase(statusCode)}\r\n");
    }

    public static string Phrase(int statusCode) => statusCode switch
    {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Entity",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        _ => "Unknown",
    };
}
