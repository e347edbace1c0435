namespace Proxy.Engine.Routing;

/// <summary>Envoy's <c>retry_on</c> conditions (Istio VirtualService <c>retries.retryOn</c>).</summary>
[Flags]
public enum RetryConditions
{
    None = 0,

    /// <summary><c>5xx</c>: any 5xx answer, or none at all (connect failure, reset, per-try timeout).</summary>
    ServerError = 1 << 0,

    /// <summary><c>gateway-error</c>: a 502, 503 or 504 answer, or none at all.</summary>
    GatewayError = 1 << 1,

    /// <summary><c>reset</c>: no answer at all (connect failure, reset or close before the response head, an invalid
    /// response head, a per-try timeout).</summary>
    Reset = 1 << 2,

    /// <summary><c>connect-failure</c>: the connection could not be made (refused, unreachable, connect timeout).</summary>
    ConnectFailure = 1 << 3,

    /// <summary><c>retriable-4xx</c>: a 409 answer.</summary>
    Retriable4xx = 1 << 4,

    /// <summary><c>refused-stream</c>: an HTTP/2 REFUSED_STREAM; never happens on HTTP/1.1 upstreams.</summary>
    RefusedStream = 1 << 5,

    /// <summary><c>retriable-status-codes</c>: an answer whose status is in <see cref="RetryPolicy.RetriableStatusCodes"/>.</summary>
    RetriableStatusCodes = 1 << 6,

    /// <summary><c>envoy-ratelimited</c>: an answer carrying <c>x-envoy-ratelimited</c>.</summary>
    EnvoyRateLimited = 1 << 7,

    /// <summary>gRPC conditions (<c>cancelled</c>, <c>deadline-exceeded</c>, <c>internal</c>, <c>resource-exhausted</c>,
    /// <c>unavailable</c>): an answer whose <c>grpc-status</c> header names that code.</summary>
    GrpcCancelled = 1 << 8,
    GrpcDeadlineExceeded = 1 << 9,
    GrpcInternal = 1 << 10,
    GrpcResourceExhausted = 1 << 11,
    GrpcUnavailable = 1 << 12,
}
