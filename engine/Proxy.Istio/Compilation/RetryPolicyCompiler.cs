using Proxy.Engine.Routing;
using Proxy.Istio.Model;

namespace Proxy.Istio.Compilation;

/// <summary>
/// Istio's retry.go ConvertPolicy: a route's <c>retries</c> (or its absence) as the engine's <see cref="RetryPolicy"/>.
/// </summary>
/// <remarks>
/// Deliberate difference from Envoy (issue 5, <see cref="RetryPolicy.RetryNonIdempotent"/>): a non-idempotent request
/// is retried on every condition only when the user wrote <c>retryOn</c>; under Istio's default conditions it is
/// retried only when it never reached the upstream.
/// </remarks>
internal static class RetryPolicyCompiler
{
    /// <summary>DefaultPolicy's <c>connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes</c>.</summary>
    public const RetryConditions DefaultRetryOn = RetryConditions.ConnectFailure | RetryConditions.RefusedStream |
        RetryConditions.GrpcUnavailable | RetryConditions.GrpcCancelled | RetryConditions.RetriableStatusCodes;

    /// <summary>DefaultPolicy's NumRetries.</summary>
    public const int DefaultNumRetries = 2;

    /// <summary>
    /// Istio's default policy sets no retriable status codes: 503 was taken out of it because retrying a 503 is not
    /// safe for non-idempotent requests (istio/istio#50506, fixed by #52111 in Istio 1.24; the
    /// EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY opt-out was removed in 1.27). <c>retriable-status-codes</c> stays in
    /// its retryOn, matching nothing.
    /// </summary>
    public static readonly IReadOnlyList<int> DefaultRetriableStatusCodes = [];

    // ConvertPolicy returns one cached policy for routes without retries, and one without the previous-hosts
    // predicate for consistent-hash destinations; shared the same way here.
    private static readonly RetryPolicy Default = DefaultPolicy(avoidPreviousHosts: true);
    private static readonly RetryPolicy DefaultConsistentHash = DefaultPolicy(avoidPreviousHosts: false);

    /// <summary>
    /// The policy for a route with <paramref name="retries"/> (null: not set) whose destination hashes consistently
    /// (<paramref name="consistentHash"/>: Istio applyHTTPRouteDestination sets it for a route with a single
    /// destination whose DestinationRule load balancer is consistentHash). Null when <c>attempts</c> is 0.
    /// </summary>
    public static RetryPolicy? Compile(RetryConfig? retries, bool consistentHash)
    {
        if (retries is null)
        {
            // "When Consistent Hashing is enabled, we don't want to use other hosts during retries."
            return consistentHash ? DefaultConsistentHash : Default;
        }

        if (retries.Attempts <= 0)
        {
            // "Configuration is explicitly disabling the retry policy."
            return null;
        }

        // newRetryPolicy: the default retryOn and host predicate, then each field the user set.
        return new RetryPolicy
        {
            NumRetries = retries.Attempts,
            PerTryTimeout = retries.PerTryTimeout,
            RetryOn = retries.RetryOn ?? DefaultRetryOn,

            // ConvertPolicy sets RetriableStatusCodes only from retryOn; without it the list stays empty.
            RetriableStatusCodes = retries.RetryOn is null ? DefaultRetriableStatusCodes : retries.RetriableStatusCodes,
            BackoffBase = retries.Backoff ?? RetryPolicy.DefaultBackoffBase,
            AvoidPreviousHosts = retries.RetryIgnorePreviousHosts ?? !consistentHash,
            RetryNonIdempotent = retries.RetryOn is not null,
        };
    }

    private static RetryPolicy DefaultPolicy(bool avoidPreviousHosts) => new()
    {
        NumRetries = DefaultNumRetries,
        RetryOn = DefaultRetryOn,
        RetriableStatusCodes = DefaultRetriableStatusCodes,
        AvoidPreviousHosts = avoidPreviousHosts,
    };
}
