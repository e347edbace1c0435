using System.Text;
using Proxy.Protocols.Http1;
using Proxy.Protocols.Tests.TestInfrastructure;

namespace Proxy.Protocols.Tests.Http1;

/// <summary>One case of the shared table. <see cref="Expected"/> is <see cref="Describe"/>'s text for valid heads.</summary>
public sealed record HeadCase(string Name, string Raw, string? Expected, int Status = 0, Http1ParseError Error = default, bool SmallLimits = false)
{
    public byte[] Bytes => Encoding.Latin1.GetBytes(Raw);

    public Http1ParserLimits Limits => SmallLimits ? HttpParsingData.SmallLimits : Http1ParserLimits.Default;

    public override string ToString() => Name;
}

/// <summary>
/// The one table of heads every parser theory runs over (after Kestrel's HttpParsingData): valid requests with the
/// facts the parser must report, and invalid ones with the status and error they must be rejected with.
/// </summary>
public static class HttpParsingData
{
    /// <summary>Small configured limits, to test them at and just past the edge.</summary>
    public static readonly Http1ParserLimits SmallLimits = new()
    {
        MaxRequestLineLength = 32,
        MaxHeaderBlockLength = 64,
        MaxHeaderCount = 3,
        MaxChunkLineLength = 16,
        MaxTrailerLength = 32,
    };

    /// <summary>A Chrome-like navigation request: 523 bytes, 10 fields.</summary>
    public const string BrowserRequest =
        "GET /products/list?category=shoes&page=2 HTTP/1.1\r\n" +
        "Host: shop.example.com\r\n" +
        "Connection: keep-alive\r\n" +
        "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n" +
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
        "Sec-Fetch-Site: same-origin\r\n" +
        "Sec-Fetch-Mode: navigate\r\n" +
        "Referer: https://shop.example.com/\r\n" +
        "Accept-Encoding: gzip, deflate, br, zstd\r\n" +
        "Accept-Language: en-US,en;q=0.9\r\n" +
        "Cookie: session=3f2a9c; theme=dark\r\n" +
        "\r\n";

    public static readonly IReadOnlyList<HeadCase> ValidRequests =
    [
        Valid("get minimal", Head("GET / HTTP/1.1", "Host: example.com"), "Get Http11 fields=1"),
        Valid("http/1.0 without host", Head("GET /index.html HTTP/1.0"), "Get Http10 fields=0"),
        Valid("http/1.0 with host", Head("GET / HTTP/1.0", "Host: a"), "Get Http10 fields=1"),
        Valid("head", Head("HEAD / HTTP/1.1", "Host: a"), "Head Http11 fields=1"),
        Valid("post content-length", Head("POST /submit HTTP/1.1", "Host: a", "Content-Length: 42"), "Post Http11 fields=2 cl=42"),
        Valid("put zero length", Head("PUT /x HTTP/1.1", "Host: a", "Content-Length: 0"), "Put Http11 fields=2 cl=0"),
        Valid("content-length leading zeros", Head("POST / HTTP/1.1", "Host: a", "Content-Length: 007"), "Post Http11 fields=2 cl=7"),
        Valid("content-length long max", Head("POST / HTTP/1.1", "Host: a", "Content-Length: 9223372036854775807"), "Post Http11 fields=2 cl=9223372036854775807"),
        Valid("content-length name any case", Head("POST / HTTP/1.1", "host: a", "CONTENT-length:  5 "), "Post Http11 fields=2 cl=5"),
        Valid("delete", Head("DELETE /r/1 HTTP/1.1", "Host: a"), "Delete Http11 fields=1"),
        Valid("trace", Head("TRACE / HTTP/1.1", "Host: a"), "Trace Http11 fields=1"),
        Valid("patch chunked", Head("PATCH /r HTTP/1.1", "Host: a", "Transfer-Encoding: chunked"), "Patch Http11 fields=2 chunked"),
        Valid("chunked any case", Head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: Chunked"), "Post Http11 fields=2 chunked"),
        Valid("chunked with empty list elements", Head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: ,", "Transfer-Encoding: , chunked ,"), "Post Http11 fields=3 chunked"),
        Valid("custom method", Head("PURGE /cache HTTP/1.1", "Host: a"), "Custom Http11 fields=1"),
        Valid("custom method with tchar symbols", Head("M-SEARCH_!#$%&'*+.^`|~ / HTTP/1.1", "Host: a"), "Custom Http11 fields=1"),
        Valid("lowercase method is custom", Head("get / HTTP/1.1", "Host: a"), "Custom Http11 fields=1"),
        Valid("options asterisk", Head("OPTIONS * HTTP/1.1", "Host: a"), "Options Http11 fields=1"),
        Valid("options origin", Head("OPTIONS /x HTTP/1.1", "Host: a"), "Options Http11 fields=1"),
        Valid("connect authority", Head("CONNECT example.com:443 HTTP/1.1", "Host: example.com:443"), "Connect Http11 fields=1"),
        Valid("connect ipv6 authority", Head("CONNECT [2001:db8::1]:8443 HTTP/1.1", "Host: [2001:db8::1]:8443"), "Connect Http11 fields=1"),
        Valid("absolute form", Head("GET http://example.com/path?q=1 HTTP/1.1", "Host: example.com"), "Get Http11 fields=1"),
        Valid("absolute form https uppercase scheme", Head("GET HTTPS://Example.COM:8443/ HTTP/1.1", "Host: example.com:8443"), "Get Http11 fields=1"),
        Valid("absolute form without path", Head("GET http://example.com HTTP/1.1", "Host: example.com"), "Get Http11 fields=1"),
        Valid("absolute form query only", Head("GET http://example.com?x=1 HTTP/1.1", "Host: example.com"), "Get Http11 fields=1"),
        Valid("origin form all allowed chars", Head("GET /a/b;c=d?x=1&y=%20!$'()*+,;=:@~-._[]\"<>{}\\^`| HTTP/1.1", "Host: a"), "Get Http11 fields=1"),
        Valid("connection keep-alive", Head("GET / HTTP/1.1", "Host: a", "Connection: keep-alive"), "Get Http11 fields=2 conn=KeepAlive"),
        Valid("connection close any case", Head("GET / HTTP/1.1", "Host: a", "Connection: CLOSE"), "Get Http11 fields=2 conn=Close"),
        Valid("connection list with other and empties", Head("GET / HTTP/1.1", "Host: a", "Connection:  , close ,, X-Foo ,"), "Get Http11 fields=2 conn=Close, Other"),
        Valid("connection across fields", Head("GET / HTTP/1.1", "Host: a", "Connection: keep-alive", "Connection: TE"), "Get Http11 fields=3 conn=KeepAlive, Other"),
        Valid("websocket upgrade", Head("GET /ws HTTP/1.1", "Host: a", "Connection: Upgrade", "Upgrade: websocket"), "Get Http11 fields=3 conn=Upgrade upgrade"),
        Valid("expect 100-continue", Head("PUT / HTTP/1.1", "Host: a", "Content-Length: 10", "Expect: 100-continue"), "Put Http11 fields=3 cl=10 expect"),
        Valid("expect 100-continue any case", Head("PUT / HTTP/1.1", "Host: a", "Expect: 100-Continue"), "Put Http11 fields=2 expect"),
        Valid("expect other", Head("PUT / HTTP/1.1", "Host: a", "Expect: something"), "Put Http11 fields=2"),
        Valid("host ipv4 with port", Head("GET / HTTP/1.1", "Host: 127.0.0.1:8080"), "Get Http11 fields=1"),
        Valid("host ipv6", Head("GET / HTTP/1.1", "Host: [::1]"), "Get Http11 fields=1"),
        Valid("host ipv6 with port", Head("GET / HTTP/1.1", "Host: [2001:db8::a:1.2.3.4]:443"), "Get Http11 fields=1"),
        Valid("host empty", Head("GET / HTTP/1.1", "Host:"), "Get Http11 fields=1"),
        Valid("host reg-name chars", Head("GET / HTTP/1.1", "Host: a-b_c~d.ex%41mple!$&'()*+,;=:65535"), "Get Http11 fields=1"),
        Valid("value ows trimmed and empty values", Head("GET / HTTP/1.1", "Host: \t a \t", "X-Empty:", "X-Spaces:   ", "X-Inner: a \t b"), "Get Http11 fields=4"),
        Valid("value obs-text", Head("GET / HTTP/1.1", "Host: a", "X-Latin: caf\u00e9 \u00ff\u0080"), "Get Http11 fields=2"),
        Valid("name all tchars", Head("GET / HTTP/1.1", "Host: a", "!#$%&'*+-.^_`|~09AZaz: v"), "Get Http11 fields=2"),
        Valid("known headers recognised", Head("GET / HTTP/1.1", "Host: a", "TE: trailers", "Keep-Alive: timeout=5", "Proxy-Connection: x", "Trailer: X-T", "X-Forwarded-For: 10.0.0.1", "X-Forwarded-Proto: https", "X-Request-Id: 1"), "Get Http11 fields=8"),
        Valid("browser request", BrowserRequest, "Get Http11 fields=10 conn=KeepAlive"),
        Valid("request line exactly at default limit", Head("GET /" + new string('a', 8192 - 16) + " HTTP/1.1", "Host: a"), "Get Http11 fields=1"),
        Valid("header block exactly at default limit", Head("GET / HTTP/1.1", "Host: a", "X: " + new string('v', (60 * 1024) - 16)), "Get Http11 fields=2"),
        Valid("header count exactly at default limit", Head(["GET / HTTP/1.1", "Host: a", .. Enumerable.Range(1, 99).Select(i => $"X-{i}: {i}")]), "Get Http11 fields=100"),
        Valid("request line exactly at small limit", Head("GET /" + new string('a', 16) + " HTTP/1.1", "Host: a"), "Get Http11 fields=1", small: true),
        Valid("header block exactly at small limit", Head("GET / HTTP/1.1", "Host: a", "X: " + new string('v', 48)), "Get Http11 fields=2", small: true),
        Valid("header count exactly at small limit", Head("GET / HTTP/1.1", "Host: a", "A: 1", "B: 2"), "Get Http11 fields=3", small: true),
    ];

    public static readonly IReadOnlyList<HeadCase> InvalidRequests =
    [
        // Framing: RFC 9112 6.
        Invalid("content-length with transfer-encoding", Head("POST / HTTP/1.1", "Host: a", "Content-Length: 5", "Transfer-Encoding: chunked"), Http1ParseError.ContentLengthWithTransferEncoding),
        Invalid("transfer-encoding with content-length", Head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "Content-Length: 5"), Http1ParseError.ContentLengthWithTransferEncoding),
        Invalid("two content-length fields", Head("POST / HTTP/1.1", "Host: a", "Content-Length: 5", "Content-Length: 5"), Http1ParseError.DuplicateContentLength),
        Invalid("content-length list", Head("POST / HTTP/1.1", "Host: a", "Content-Length: 5, 5"), Http1ParseError.DuplicateContentLength),
        Invalid("content-length letters", Head("POST / HTTP/1.1", "Host: a", "Content-Length: abc"), Http1ParseError.InvalidContentLength),
        Invalid("content-length negative", Head("POST / HTTP/1.1", "Host: a", "Content-Length: -1"), Http1ParseError.InvalidContentLength),
        Invalid("content-length plus sign", Head("POST / HTTP/1.1", "Host: a", "Content-Length: +5"), Http1ParseError.InvalidContentLength),
        Invalid("content-length empty", Head("POST / HTTP/1.1", "Host: a", "Content-Length: "), Http1ParseError.InvalidContentLength),
        Invalid("content-length inner space", Head("POST / HTTP/1.1", "Host: a", "Content-Length: 1 2"), Http1ParseError.InvalidContentLength),
        Invalid("content-length hex", Head("POST / HTTP/1.1", "Host: a", "Content-Length: 0x10"), Http1ParseError.InvalidContentLength),
        Invalid("content-length overflow", Head("POST / HTTP/1.1", "Host: a", "Content-Length: 9223372036854775808"), Http1ParseError.InvalidContentLength),
        Invalid("content-length huge", Head("POST / HTTP/1.1", "Host: a", "Content-Length: 99999999999999999999999"), Http1ParseError.InvalidContentLength),
        Invalid("transfer-encoding gzip", Head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: gzip"), Http1ParseError.UnsupportedTransferEncoding),
        Invalid("transfer-encoding identity", Head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: identity"), Http1ParseError.UnsupportedTransferEncoding),
        Invalid("transfer-encoding gzip then chunked", Head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: gzip, chunked"), Http1ParseError.UnsupportedTransferEncoding),
        Invalid("transfer-encoding chunked not final", Head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked, gzip"), Http1ParseError.UnsupportedTransferEncoding),
        Invalid("transfer-encoding chunked twice", Head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked, chunked"), Http1ParseError.UnsupportedTransferEncoding),
        Invalid("transfer-encoding chunked in two fields", Head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"), Http1ParseError.UnsupportedTransferEncoding),
        Invalid("transfer-encoding chunked then gzip field", Head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip"), Http1ParseError.UnsupportedTransferEncoding),
        Invalid("transfer-encoding empty", Head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: "), Http1ParseError.UnsupportedTransferEncoding),
        Invalid("transfer-encoding chunked with parameter", Head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked;q=1"), Http1ParseError.UnsupportedTransferEncoding),
        Invalid("transfer-encoding in http/1.0", Head("POST / HTTP/1.0", "Transfer-Encoding: chunked"), Http1ParseError.UnsupportedTransferEncoding),

        // Field lines: RFC 9112 5, RFC 9110 5.
        Invalid("obs-fold space", Head("GET / HTTP/1.1", "Host: a", "X-A: b", " c"), Http1ParseError.ObsoleteLineFolding),
        Invalid("obs-fold tab", Head("GET / HTTP/1.1", "Host: a", "X-A: b", "\tc"), Http1ParseError.ObsoleteLineFolding),
        Invalid("whitespace before first field", Head("GET / HTTP/1.1", " Host: a"), Http1ParseError.ObsoleteLineFolding),
        Invalid("space before colon", Head("GET / HTTP/1.1", "Host : a"), Http1ParseError.WhitespaceBeforeColon),
        Invalid("tab before colon", Head("GET / HTTP/1.1", "Host: a", "X-A\t: b"), Http1ParseError.WhitespaceBeforeColon),
        Invalid("empty field name", Head("GET / HTTP/1.1", "Host: a", ": b"), Http1ParseError.InvalidHeaderName),
        Invalid("field without colon", Head("GET / HTTP/1.1", "Host: a", "X-A b"), Http1ParseError.InvalidHeaderName),
        Invalid("field name with space inside", Head("GET / HTTP/1.1", "Host: a", "X A: b"), Http1ParseError.InvalidHeaderName),
        Invalid("field name with separator", Head("GET / HTTP/1.1", "Host: a", "X(A): b"), Http1ParseError.InvalidHeaderName),
        Invalid("field name with at", Head("GET / HTTP/1.1", "Host: a", "X@A: b"), Http1ParseError.InvalidHeaderName),
        Invalid("field name non-ascii", Head("GET / HTTP/1.1", "Host: a", "X-\u00e9: b"), Http1ParseError.InvalidHeaderName),
        Invalid("field value nul", Head("GET / HTTP/1.1", "Host: a", "X-A: b\0c"), Http1ParseError.InvalidHeaderValue),
        Invalid("field value soh", Head("GET / HTTP/1.1", "Host: a", "X-A: \u0001"), Http1ParseError.InvalidHeaderValue),
        Invalid("field value unit separator", Head("GET / HTTP/1.1", "Host: a", "X-A: b\u001fc"), Http1ParseError.InvalidHeaderValue),
        Invalid("field value del", Head("GET / HTTP/1.1", "Host: a", "X-A: b\u007f"), Http1ParseError.InvalidHeaderValue),
        Invalid("field value escape", Head("GET / HTTP/1.1", "Host: a", "X-A: \u001b[0m"), Http1ParseError.InvalidHeaderValue),
        Invalid("bare cr in value", Head("GET / HTTP/1.1", "Host: a", "X-A: b\rc"), Http1ParseError.BareCarriageReturn),
        Invalid("bare cr at value end", Head("GET / HTTP/1.1", "Host: a", "X-A: b\r"), Http1ParseError.BareCarriageReturn),
        Invalid("bare cr in name", Head("GET / HTTP/1.1", "Host: a", "X\rA: b"), Http1ParseError.BareCarriageReturn),
        Invalid("bare cr line", Head("GET / HTTP/1.1", "Host: a", "\r"), Http1ParseError.BareCarriageReturn),
        Invalid("bare cr in request line", Head("GET /\r HTTP/1.1", "Host: a"), Http1ParseError.BareCarriageReturn),
        Invalid("bare cr after version", Head("GET / HTTP/1.1\r", "Host: a"), Http1ParseError.BareCarriageReturn),
        Invalid("bare lf after request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", Http1ParseError.BareLineFeed),
        Invalid("bare lf after field", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", Http1ParseError.BareLineFeed),
        Invalid("bare lf empty line", "GET / HTTP/1.1\r\nHost: a\r\n\n", Http1ParseError.BareLineFeed),
        Invalid("bare lf only", "GET / HTTP/1.1\n\n", Http1ParseError.BareLineFeed),

        // Host: RFC 9112 3.2, RFC 9110 7.2.
        Invalid("missing host", Head("GET / HTTP/1.1", "Accept: */*"), Http1ParseError.MissingHost),
        Invalid("missing host absolute form", Head("GET http://a/ HTTP/1.1"), Http1ParseError.MissingHost),
        Invalid("two hosts", Head("GET / HTTP/1.1", "Host: a", "Host: a"), Http1ParseError.DuplicateHost),
        Invalid("two hosts any case", Head("GET / HTTP/1.1", "Host: a", "HOST: b"), Http1ParseError.DuplicateHost),
        Invalid("host with space", Head("GET / HTTP/1.1", "Host: a b"), Http1ParseError.InvalidHost),
        Invalid("host with slash", Head("GET / HTTP/1.1", "Host: a/b"), Http1ParseError.InvalidHost),
        Invalid("host with userinfo", Head("GET / HTTP/1.1", "Host: user@a"), Http1ParseError.InvalidHost),
        Invalid("host port letters", Head("GET / HTTP/1.1", "Host: a:http"), Http1ParseError.InvalidHost),
        Invalid("host port too large", Head("GET / HTTP/1.1", "Host: a:65536"), Http1ParseError.InvalidHost),
        Invalid("host port too long", Head("GET / HTTP/1.1", "Host: a:000080"), Http1ParseError.InvalidHost),
        Invalid("host empty port", Head("GET / HTTP/1.1", "Host: a:"), Http1ParseError.InvalidHost),
        Invalid("host port only", Head("GET / HTTP/1.1", "Host: :80"), Http1ParseError.InvalidHost),
        Invalid("host two colons", Head("GET / HTTP/1.1", "Host: a:80:80"), Http1ParseError.InvalidHost),
        Invalid("host ipv6 unclosed", Head("GET / HTTP/1.1", "Host: [::1"), Http1ParseError.InvalidHost),
        Invalid("host ipv6 bad chars", Head("GET / HTTP/1.1", "Host: [::g]"), Http1ParseError.InvalidHost),
        Invalid("host ipv6 empty", Head("GET / HTTP/1.1", "Host: []"), Http1ParseError.InvalidHost),
        Invalid("host ipv6 junk after", Head("GET / HTTP/1.1", "Host: [::1]x"), Http1ParseError.InvalidHost),
        Invalid("host bad pct-encoding", Head("GET / HTTP/1.1", "Host: a%zz"), Http1ParseError.InvalidHost),
        Invalid("host truncated pct-encoding", Head("GET / HTTP/1.1", "Host: a%4"), Http1ParseError.InvalidHost),

        // Request line and target: RFC 9112 3.
        Invalid("invalid method char", Head("G(ET / HTTP/1.1", "Host: a"), Http1ParseError.InvalidMethod),
        Invalid("method with quote", Head("GE\"T / HTTP/1.1", "Host: a"), Http1ParseError.InvalidMethod),
        Invalid("method non-ascii", Head("G\u00c9T / HTTP/1.1", "Host: a"), Http1ParseError.InvalidMethod),
        Invalid("empty request line", Head("", "Host: a"), Http1ParseError.InvalidRequestLine),
        Invalid("leading space", Head(" GET / HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestLine),
        Invalid("two spaces after method", Head("GET  / HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestLine),
        Invalid("two spaces before version", Head("GET /  HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestLine),
        Invalid("trailing space", Head("GET / HTTP/1.1 ", "Host: a"), Http1ParseError.InvalidRequestLine),
        Invalid("tab separator", Head("GET\t/ HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestLine),
        Invalid("missing version", Head("GET /", "Host: a"), Http1ParseError.InvalidRequestLine),
        Invalid("method only", Head("GET", "Host: a"), Http1ParseError.InvalidRequestLine),
        Invalid("target not a form", Head("GET foo HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("asterisk with get", Head("GET * HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("asterisk with more", Head("OPTIONS *x HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("authority form with get", Head("GET example.com:443 HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("connect origin form", Head("CONNECT / HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("connect without port", Head("CONNECT example.com HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("connect absolute form", Head("CONNECT http://a:80 HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("absolute form other scheme", Head("GET ftp://a/ HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("absolute form empty authority", Head("GET http:/// HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("absolute form scheme only", Head("GET http:// HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("absolute form userinfo", Head("GET http://u@a/ HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("target with fragment", Head("GET /a#b HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("target non-ascii", Head("GET /caf\u00e9 HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("target del", Head("GET /a\u007f HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("target control", Head("GET /a\u0001b HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("target nul", Head("GET /a\0 HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),
        Invalid("target tab", Head("GET /a\tb HTTP/1.1", "Host: a"), Http1ParseError.InvalidRequestTarget),

        // Version: RFC 9112 2.3.
        Invalid("http/2.0", Head("GET / HTTP/2.0", "Host: a"), Http1ParseError.UnsupportedVersion),
        Invalid("http/1.2", Head("GET / HTTP/1.2", "Host: a"), Http1ParseError.UnsupportedVersion),
        Invalid("http/0.9", Head("GET / HTTP/0.9", "Host: a"), Http1ParseError.UnsupportedVersion),
        Invalid("http/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Http1ParseError.UnsupportedVersion),
        Invalid("version without minor", Head("GET / HTTP/1", "Host: a"), Http1ParseError.InvalidRequestLine),
        Invalid("version wrong name", Head("GET / FOO/1.1", "Host: a"), Http1ParseError.InvalidRequestLine),
        Invalid("version lowercase", Head("GET / http/1.1", "Host: a"), Http1ParseError.InvalidRequestLine),
        Invalid("version two digit minor", Head("GET / HTTP/1.10", "Host: a"), Http1ParseError.InvalidRequestLine),
        Invalid("version letters", Head("GET / HTTP/a.b", "Host: a"), Http1ParseError.InvalidRequestLine),

        // Limits.
        Invalid("request line over default limit", Head("GET /" + new string('a', 8192 - 15) + " HTTP/1.1", "Host: a"), Http1ParseError.RequestLineTooLong),
        Invalid("request line over default limit incomplete", "GET /" + new string('a', 8192), Http1ParseError.RequestLineTooLong),
        Invalid("header block over default limit", Head("GET / HTTP/1.1", "Host: a", "X: " + new string('v', (60 * 1024) - 15)), Http1ParseError.HeadersTooLarge),
        Invalid("header block over default limit incomplete", "GET / HTTP/1.1\r\nHost: a\r\nX: " + new string('v', 60 * 1024), Http1ParseError.HeadersTooLarge),
        Invalid("header count over default limit", Head(["GET / HTTP/1.1", "Host: a", .. Enumerable.Range(1, 100).Select(i => $"X-{i}: {i}")]), Http1ParseError.TooManyHeaders),
        Invalid("request line over small limit", Head("GET /" + new string('a', 17) + " HTTP/1.1", "Host: a"), Http1ParseError.RequestLineTooLong, small: true),
        Invalid("request line over small limit incomplete", "GET /" + new string('a', 27), Http1ParseError.RequestLineTooLong, small: true),
        Invalid("header block over small limit", Head("GET / HTTP/1.1", "Host: a", "X: " + new string('v', 49)), Http1ParseError.HeadersTooLarge, small: true),
        Invalid("header block over small limit incomplete", "GET / HTTP/1.1\r\nHost: a\r\nX: " + new string('v', 52), Http1ParseError.HeadersTooLarge, small: true),
        Invalid("header count over small limit", Head("GET / HTTP/1.1", "Host: a", "A: 1", "B: 2", "C: 3"), Http1ParseError.TooManyHeaders, small: true),
        Invalid("limit checked before content", Head("GET /\u0001" + new string('a', 30) + " HTTP/1.1", "Host: a"), Http1ParseError.RequestLineTooLong, small: true),
    ];

    public static readonly IReadOnlyList<HeadCase> ValidResponses =
    [
        Valid("ok with length", Head("HTTP/1.1 200 OK", "Content-Length: 5"), "200 Http11 fields=1 cl=5"),
        Valid("no reason no space", Head("HTTP/1.1 204"), "204 Http11 fields=0"),
        Valid("empty reason", Head("HTTP/1.1 304 ", "ETag: \"x\""), "304 Http11 fields=1"),
        Valid("http/1.0 response", Head("HTTP/1.0 200 OK", "Connection: close"), "200 Http10 fields=1 conn=Close"),
        Valid("reason with tabs and obs-text", Head("HTTP/1.1 404 Not\tFound  caf\u00e9"), "404 Http11 fields=0"),
        Valid("chunked response", Head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "Connection: keep-alive"), "200 Http11 fields=2 chunked conn=KeepAlive"),
        Valid("switching protocols", Head("HTTP/1.1 101 Switching Protocols", "Connection: Upgrade", "Upgrade: websocket"), "101 Http11 fields=2 conn=Upgrade upgrade"),
        Valid("continue", Head("HTTP/1.1 100 Continue"), "100 Http11 fields=0"),
        Valid("status 999", Head("HTTP/1.1 999 Whatever"), "999 Http11 fields=0"),
        Valid("expect ignored and host not required", Head("HTTP/1.1 200 OK", "Expect: 100-continue", "Host: a", "Host: b"), "200 Http11 fields=3"),
    ];

    public static readonly IReadOnlyList<HeadCase> InvalidResponses =
    [
        Invalid("content-length with transfer-encoding", Head("HTTP/1.1 200 OK", "Content-Length: 5", "Transfer-Encoding: chunked"), Http1ParseError.ContentLengthWithTransferEncoding),
        Invalid("invalid content-length", Head("HTTP/1.1 200 OK", "Content-Length: 5x"), Http1ParseError.InvalidContentLength),
        Invalid("two content-lengths", Head("HTTP/1.1 200 OK", "Content-Length: 5", "Content-Length: 6"), Http1ParseError.DuplicateContentLength),
        Invalid("gzip transfer-encoding", Head("HTTP/1.1 200 OK", "Transfer-Encoding: gzip, chunked"), Http1ParseError.UnsupportedTransferEncoding),
        Invalid("transfer-encoding in http/1.0", Head("HTTP/1.0 200 OK", "Transfer-Encoding: chunked"), Http1ParseError.UnsupportedTransferEncoding),
        Invalid("two digit status", Head("HTTP/1.1 20 OK"), Http1ParseError.InvalidStatusLine),
        Invalid("four digit status", Head("HTTP/1.1 2000 OK"), Http1ParseError.InvalidStatusLine),
        Invalid("status below 100", Head("HTTP/1.1 099 Low"), Http1ParseError.InvalidStatusLine),
        Invalid("status letters", Head("HTTP/1.1 abc OK"), Http1ParseError.InvalidStatusLine),
        Invalid("two spaces before status", Head("HTTP/1.1  200 OK"), Http1ParseError.InvalidStatusLine),
        Invalid("version only", Head("HTTP/1.1"), Http1ParseError.InvalidStatusLine),
        Invalid("version lowercase", Head("http/1.1 200 OK"), Http1ParseError.InvalidStatusLine),
        Invalid("version http/2", Head("HTTP/2.0 200 OK"), Http1ParseError.UnsupportedVersion),
        Invalid("control in reason", Head("HTTP/1.1 200 O\u0001K"), Http1ParseError.InvalidStatusLine),
        Invalid("bare cr in reason", Head("HTTP/1.1 200 O\rK"), Http1ParseError.BareCarriageReturn),
        Invalid("bare lf", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", Http1ParseError.BareLineFeed),
        Invalid("obs-fold", Head("HTTP/1.1 200 OK", "X-A: b", " c"), Http1ParseError.ObsoleteLineFolding),
        Invalid("space before colon", Head("HTTP/1.1 200 OK", "Content-Length : 0"), Http1ParseError.WhitespaceBeforeColon),
        Invalid("nul in value", Head("HTTP/1.1 200 OK", "X-A: \0"), Http1ParseError.InvalidHeaderValue),
        Invalid("header count over small limit", Head("HTTP/1.1 200 OK", "A: 1", "B: 2", "C: 3", "D: 4"), Http1ParseError.TooManyHeaders, small: true),
    ];

    public static TheoryData<string, SplitMode> ValidRequestRuns => Runs(ValidRequests);

    public static TheoryData<string, SplitMode> InvalidRequestRuns => Runs(InvalidRequests);

    public static TheoryData<string, SplitMode> ValidResponseRuns => Runs(ValidResponses);

    public static TheoryData<string, SplitMode> InvalidResponseRuns => Runs(InvalidResponses);

    /// <summary>Names of the cases small enough to be fed prefix by prefix (quadratic in the length).</summary>
    public static TheoryData<string> SmallValidRequestNames => Names(ValidRequests);

    public static TheoryData<string> SmallInvalidRequestNames => Names(InvalidRequests);

    public static HeadCase Find(IReadOnlyList<HeadCase> cases, string name) => cases.Single(c => c.Name == name);

    /// <summary>Joins lines with CRLF and ends the head with the empty line.</summary>
    public static string Head(params string[] lines) => string.Join("\r\n", lines) + "\r\n\r\n";

    /// <summary>The compact text the tables use for the facts in <see cref="HttpHeadInfo"/> (all but HeadLength).</summary>
    public static string Describe(HttpHeadInfo info, bool isResponse)
    {
        var text = new StringBuilder();
        text.Append(isResponse ? info.StatusCode.ToString() : info.Method.ToString()).Append(' ').Append(info.Version);
        text.Append(" fields=").Append(info.HeaderCount);
        if (info.ContentLength >= 0)
        {
            text.Append(" cl=").Append(info.ContentLength);
        }

        if (info.IsChunked)
        {
            text.Append(" chunked");
        }

        if (info.Connection != ConnectionOptions.None)
        {
            text.Append(" conn=").Append(info.Connection);
        }

        if (info.HasUpgrade)
        {
            text.Append(" upgrade");
        }

        if (info.ExpectContinue)
        {
            text.Append(" expect");
        }

        return text.ToString();
    }

    private static HeadCase Valid(string name, string raw, string? expected, bool small = false)
        => new(name, raw, expected, SmallLimits: small);

    private static HeadCase Invalid(string name, string raw, Http1ParseError error, bool small = false)
        => new(name, raw, null, ErrorStatus(error), error, small);

    private static int ErrorStatus(Http1ParseError error) => error switch
    {
        Http1ParseError.UnsupportedVersion => 505,
        Http1ParseError.RequestLineTooLong => 414,
        Http1ParseError.HeadersTooLarge or Http1ParseError.TooManyHeaders => 431,
        _ => 400,
    };

    private static TheoryData<string, SplitMode> Runs(IReadOnlyList<HeadCase> cases)
    {
        var data = new TheoryData<string, SplitMode>();
        foreach (HeadCase c in cases)
        {
            foreach (SplitMode mode in Enum.GetValues<SplitMode>())
            {
                data.Add(c.Name, mode);
            }
        }

        return data;
    }

    private static TheoryData<string> Names(IReadOnlyList<HeadCase> cases)
    {
        var data = new TheoryData<string>();
        foreach (HeadCase c in cases.Where(c => c.Raw.Length <= 2048))
        {
            data.Add(c.Name);
        }

        return data;
    }
}
