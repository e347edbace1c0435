using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace Proxy.Engine.Http;

/// <summary>
/// Responses the proxy writes itself, with Envoy's status codes and bodies so Istio runbooks still apply (each
/// <see cref="ProxyOutcome"/> names its Envoy response flag; the access-log issue will map them here too).
/// Each reply is precomputed bytes: writing one costs a copy.
/// </summary>
internal static class LocalReplies
{
    private const string NoHealthyUpstreamBody = "no healthy upstream";
    private const string ConnectFailureBody = "upstream connect error or disconnect/reset before headers. reset reason: connection failure";
    private const string UpstreamResetBody = "upstream connect error or disconnect/reset before headers. reset reason: connection termination";
    private const string UpstreamTimeoutBody = "upstream request timeout";
    private const string OverflowBody = "upstream connect error or disconnect/reset before headers. reset reason: overflow";
    private const string UpstreamProtocolErrorBody = "upstream sent an invalid response";

    private static readonly byte[] NotFound = Build(404, "Not Found", "", close: false);
    private static readonly byte[] NotFoundClose = Build(404, "Not Found", "", close: true);
    private static readonly byte[] NoHealthyUpstream = Build(503, "Service Unavailable", NoHealthyUpstreamBody, close: false);
    private static readonly byte[] NoHealthyUpstreamClose = Build(503, "Service Unavailable", NoHealthyUpstreamBody, close: true);
    private static readonly byte[] ConnectFailure = Build(503, "Service Unavailable", ConnectFailureBody, close: false);
    private static readonly byte[] ConnectFailureClose = Build(503, "Service Unavailable", ConnectFailureBody, close: true);
    private static readonly byte[] UpstreamReset = Build(503, "Service Unavailable", UpstreamResetBody, close: false);
    private static readonly byte[] UpstreamResetClose = Build(503, "Service Unavailable", UpstreamResetBody, close: true);
    private static readonly byte[] UpstreamTimeout = Build(504, "Gateway Timeout", UpstreamTimeoutBody, close: false);
    private static readonly byte[] UpstreamTimeoutClose = Build(504, "Gateway Timeout", UpstreamTimeoutBody, close: true);
    private static readonly byte[] Overflow = Build(503, "Service Unavailable", OverflowBody, close: false, overloaded: true);
    private static readonly byte[] OverflowClose = Build(503, "Service Unavailable", OverflowBody, close: true, overloaded: true);
    private static readonly byte[] UpstreamProtocolError = Build(502, "Bad Gateway", UpstreamProtocolErrorBody, close: true);
    private static readonly byte[] Continue = Encoding.ASCII.GetBytes("HTTP/1.1 100 Continue\r\n\r\n");

    public static void Write(PipeWriter writer, ProxyOutcome outcome, bool close)
    {
        var reply = outcome switch
        {
            ProxyOutcome.NoRoute => close ? NotFoundClose : NotFound,
            ProxyOutcome.NoHealthyUpstream => close ? NoHealthyUpstreamClose : NoHealthyUpstream,
            ProxyOutcome.ConnectFailure => close ? ConnectFailureClose : ConnectFailure,
            ProxyOutcome.UpstreamReset => close ? UpstreamResetClose : UpstreamReset,
            ProxyOutcome.UpstreamTimeout => close ? UpstreamTimeoutClose : UpstreamTimeout,
            ProxyOutcome.Overflow => close ? OverflowClose : Overflow,
            _ => UpstreamProtocolError,
        };
        writer.Write(reply);
    }

    /// <summary>
    /// 301 to the same authority and target over https (Envoy's require_tls redirect): an explicit port 80 is dropped,
    /// any other port kept; the path and query are kept as sent.
    /// </summary>
    public static void WriteHttpsRedirect(PipeWriter writer, HttpRequestHead request, bool close)
    {
        var authority = request.Authority;
        if (authority.EndsWith(":80"u8))
        {
            authority = authority[..^3];
        }

        writer.Write("HTTP/1.1 301 Moved Permanently\r\nlocation: https://"u8);
        writer.Write(authority);
        writer.Write(request.Path);
        if (!request.Query.IsEmpty)
        {
            writer.Write("?"u8);
            writer.Write(request.Query);
        }

        writer.Write(close ? "\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"u8 : "\r\ncontent-length: 0\r\n\r\n"u8);
    }

    public static void WriteContinue(PipeWriter writer) => writer.Write(Continue);

    /// <summary>The reply to a request the parser rejected; always closes the connection.</summary>
    public static void WriteBadRequest(PipeWriter writer, int statusCode)
    {
        var reply = statusCode switch
        {
            408 => BadRequests.RequestHeaderTimeout,
            414 => BadRequests.UriTooLong,
            431 => BadRequests.HeadersTooLarge,
            505 => BadRequests.VersionNotSupported,
            _ => BadRequests.BadRequest,
        };
        writer.Write(reply);
    }

    /// <summary>The body length of a local reply for <paramref name="outcome"/> (the access log's bytes sent).</summary>
    public static int BodyLength(ProxyOutcome outcome) => BodyOf(outcome).Length;

    private static string BodyOf(ProxyOutcome outcome) => outcome switch
    {
        ProxyOutcome.NoRoute => "",
        ProxyOutcome.NoHealthyUpstream => NoHealthyUpstreamBody,
        ProxyOutcome.ConnectFailure => ConnectFailureBody,
        ProxyOutcome.UpstreamReset => UpstreamResetBody,
        ProxyOutcome.UpstreamTimeout => UpstreamTimeoutBody,
        ProxyOutcome.Overflow => OverflowBody,
        _ => UpstreamProtocolErrorBody,
    };

    /// <summary>The status a local reply for <paramref name="outcome"/> carries.</summary>
    public static int StatusCode(ProxyOutcome outcome) => outcome switch
    {
        ProxyOutcome.NoRoute => 404,
        ProxyOutcome.UpstreamProtocolError => 502,
        ProxyOutcome.UpstreamTimeout => 504,
        _ => 503,
    };

    /// <summary>Envoy's response flag for a local reply's <paramref name="outcome"/>.</summary>
    public static ResponseFlags Flag(ProxyOutcome outcome) => outcome switch
    {
        ProxyOutcome.NoRoute => ResponseFlags.NoRoute,
        ProxyOutcome.NoHealthyUpstream => ResponseFlags.NoHealthyUpstream,
        ProxyOutcome.ConnectFailure => ResponseFlags.UpstreamConnectionFailure,
        ProxyOutcome.UpstreamReset => ResponseFlags.UpstreamConnectionTermination,
        ProxyOutcome.UpstreamProtocolError => ResponseFlags.UpstreamProtocolError,
        ProxyOutcome.UpstreamTimeout => ResponseFlags.UpstreamRequestTimeout,
        ProxyOutcome.Overflow => ResponseFlags.UpstreamOverflow,
        ProxyOutcome.FaultAbort => ResponseFlags.FaultInjected,
        _ => ResponseFlags.None,
    };

    private static byte[] Build(int status, string reason, string body, bool close, bool overloaded = false)
    {
        var sb = new StringBuilder();
        sb.Append("HTTP/1.1 ").Append(status).Append(' ').Append(reason).Append("\r\n");
        if (overloaded)
        {
            // Envoy's router adds it to a local reply caused by a circuit breaker (router.cc onUpstreamAbort).
            sb.Append("x-envoy-overloaded: true\r\n");
        }

        sb.Append("content-length: ").Append(body.Length).Append("\r\n");
        if (body.Length > 0)
        {
            sb.Append("content-type: text/plain\r\n");
        }

        if (close)
        {
            sb.Append("connection: close\r\n");
        }

        sb.Append("\r\n").Append(body);
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    private static class BadRequests
    {
        public static readonly byte[] BadRequest = Build(400, "Bad Request", "Bad Request", close: true);
        // Envoy's reply to request_headers_timeout (conn_manager_impl.cc, onRequestHeaderTimeout).
        public static readonly byte[] RequestHeaderTimeout = Build(408, "Request Timeout", "request header timeout", close: true);
        public static readonly byte[] UriTooLong = Build(414, "URI Too Long", "URI Too Long", close: true);
        public static readonly byte[] HeadersTooLarge = Build(431, "Request Header Fields Too Large", "Request Header Fields Too Large", close: true);
        public static readonly byte[] VersionNotSupported = Build(505, "HTTP Version Not Supported", "HTTP Version Not Supported", close: true);
    }
}
