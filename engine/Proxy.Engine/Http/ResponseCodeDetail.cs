namespace Proxy.Engine.Http;

/// <summary>
/// Why the response has its status (Envoy's %RESPONSE_CODE_DETAILS%, source/common/stream_info's ResponseCodeDetails):
/// one value per kind of answer, so the access log prints a fixed string and nothing is formatted per request.
/// </summary>
internal enum ResponseCodeDetail : byte
{
    /// <summary>Not known: printed as <c>-</c>.</summary>
    None = 0,

    /// <summary>via_upstream: the upstream's response was forwarded.</summary>
    ViaUpstream,

    /// <summary>route_not_found.</summary>
    RouteNotFound,

    /// <summary>no_healthy_upstream.</summary>
    NoHealthyUpstream,

    /// <summary>upstream_reset_before_response_started{connection_failure}.</summary>
    ConnectionFailure,

    /// <summary>upstream_reset_before_response_started{connection_termination}.</summary>
    ConnectionTermination,

    /// <summary>upstream_reset_before_response_started{overflow}.</summary>
    Overflow,

    /// <summary>upstream_reset_before_response_started{protocol_error}.</summary>
    UpstreamProtocolError,

    /// <summary>upstream_response_timeout.</summary>
    UpstreamTimeout,

    /// <summary>fault_filter_abort.</summary>
    FaultAbort,

    /// <summary>direct_response: a route's direct response or redirect.</summary>
    DirectResponse,

    /// <summary>cors_response: a CORS preflight answered by the proxy.</summary>
    CorsResponse,

    /// <summary>http1.codec_error: the request could not be parsed.</summary>
    CodecError,

    /// <summary>request_header_timeout.</summary>
    RequestHeaderTimeout,

    /// <summary>downstream_remote_disconnect: the client left before a response.</summary>
    DownstreamDisconnect,
}

internal static class ResponseCodeDetailNames
{
    public static ReadOnlySpan<byte> Get(ResponseCodeDetail detail) => detail switch
    {
        ResponseCodeDetail.ViaUpstream => "via_upstream"u8,
        ResponseCodeDetail.RouteNotFound => "route_not_found"u8,
        ResponseCodeDetail.NoHealthyUpstream => "no_healthy_upstream"u8,
        ResponseCodeDetail.ConnectionFailure => "upstream_reset_before_response_started{connection_failure}"u8,
        ResponseCodeDetail.ConnectionTermination => "upstream_reset_before_response_started{connection_termination}"u8,
        ResponseCodeDetail.Overflow => "upstream_reset_before_response_started{overflow}"u8,
        ResponseCodeDetail.UpstreamProtocolError => "upstream_reset_before_response_started{protocol_error}"u8,
        ResponseCodeDetail.UpstreamTimeout => "upstream_response_timeout"u8,
        ResponseCodeDetail.FaultAbort => "fault_filter_abort"u8,
        ResponseCodeDetail.DirectResponse => "direct_response"u8,
        ResponseCodeDetail.CorsResponse => "cors_response"u8,
        ResponseCodeDetail.CodecError => "http1.codec_error"u8,
        ResponseCodeDetail.RequestHeaderTimeout => "request_header_timeout"u8,
        ResponseCodeDetail.DownstreamDisconnect => "downstream_remote_disconnect"u8,
        _ => default,
    };

    /// <summary>The detail of a local reply for <paramref name="outcome"/>.</summary>
    public static ResponseCodeDetail For(ProxyOutcome outcome) => outcome switch
    {
        ProxyOutcome.NoRoute => ResponseCodeDetail.RouteNotFound,
        ProxyOutcome.NoHealthyUpstream => ResponseCodeDetail.NoHealthyUpstream,
        ProxyOutcome.ConnectFailure => ResponseCodeDetail.ConnectionFailure,
        ProxyOutcome.UpstreamReset => ResponseCodeDetail.ConnectionTermination,
        ProxyOutcome.UpstreamProtocolError => ResponseCodeDetail.UpstreamProtocolError,
        ProxyOutcome.UpstreamTimeout => ResponseCodeDetail.UpstreamTimeout,
        ProxyOutcome.Overflow => ResponseCodeDetail.Overflow,
        ProxyOutcome.FaultAbort => ResponseCodeDetail.FaultAbort,
        ProxyOutcome.DirectResponse => ResponseCodeDetail.DirectResponse,
        _ => ResponseCodeDetail.None,
    };
}
