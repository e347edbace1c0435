namespace Proxy.Engine.Http;

/// <summary>
/// How a request ended, when the proxy rather than the upstream decided the answer. Mapped to status, body and
/// Envoy response flag in one place (<see cref="LocalReplies"/>) so logs, metrics and replies agree.
/// </summary>
internal enum ProxyOutcome : byte
{
    /// <summary>The upstream's response was forwarded.</summary>
    Forwarded = 0,

    /// <summary>No route matched: 404, flag NR.</summary>
    NoRoute,

    /// <summary>The chosen cluster has no endpoint: 503, flag UH.</summary>
    NoHealthyUpstream,

    /// <summary>Connecting to the upstream failed or timed out: 503, flag UF.</summary>
    ConnectFailure,

    /// <summary>The upstream closed or reset before a complete response head: 503, flag UC.</summary>
    UpstreamReset,

    /// <summary>The upstream sent an invalid response head: 502, flag UPE.</summary>
    UpstreamProtocolError,

    /// <summary>The route timeout expired before any response byte reached the client: 504, body
    /// <c>upstream request timeout</c>, flag UT.</summary>
    UpstreamTimeout,

    /// <summary>A route's fault abort answered with its status and body <c>fault filter abort</c>: flag FI.</summary>
    FaultAbort,

    /// <summary>A circuit breaker (pending requests, requests) overflowed: 503 with <c>x-envoy-overloaded: true</c> and
    /// body <c>upstream connect error or disconnect/reset before headers. reset reason: overflow</c>, flag UO.</summary>
    Overflow,

    /// <summary>The route answered itself: redirect, direct response or CORS preflight (Envoy: no flag).</summary>
    DirectResponse,
}
