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
    /// DefaultPolicy's RetriableStatusCodes: 503, as DESIGN.md's contract and Istio before 1.24 have it. Istio 1.24
    /// took 503 out (EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY, istio/istio#50506: retrying a 503 charged users twice for
    /// a POST). We keep it and make it safe instead: without an explicit <c>retryOn</c>, a non-idempotent request is
    /// retried only after a connect failure (<see cref="RetryPolicy.RetryNonIdempotent"/>), so only GET, PUT and the
    /// other idempotent methods are retried on 503.
    /// </summary>
    public static readonly IReadOnlyList<int> DefaultRetriableStatusCodes = [503];

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

            // ConvertPolicy replaces RetriableStatusCodes only with a retryOn; without one the default's list stays.
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
