namespace Proxy.Engine.Routing;

/// <summary>
/// How a route retries a failed upstream attempt (Istio VirtualService <c>retries</c>, Envoy <c>retry_policy</c>).
/// </summary>
/// <remarks>
/// <para>An attempt is retried when it failed by one of <see cref="RetryOn"/> and nothing of its response reached the
/// client yet, the request can be sent again (no body, or a body of at most 64 KiB that was kept), the cluster's
/// <c>MaxRetries</c> circuit breaker has room, and <see cref="NumRetries"/> is not used up. The route timeout covers
/// every attempt. Each retry waits a fully jittered exponential back-off first: a random time in
/// <c>[0, (2^n - 1) * BackoffBase)</c> for the n-th retry, capped at <see cref="BackoffMax"/>.</para>
/// <para>Deliberate difference from Envoy: a request whose method is not idempotent (POST, PATCH, CONNECT, unknown
/// methods) is retried only when it provably never reached the upstream (the connection failed), unless
/// <see cref="RetryNonIdempotent"/> is set. Istio's default policy (before 1.24) retries a 503 even for a POST, which
/// is how users have been charged twice (istio/istio#50506).</para>
/// </remarks>
public sealed class RetryPolicy
{
    /// <summary>Envoy's default back-off base interval.</summary>
    public static readonly TimeSpan DefaultBackoffBase = TimeSpan.FromMilliseconds(25);

    /// <summary>Retries after the first attempt (Istio <c>attempts</c>); 0 disables retrying.</summary>
    public int NumRetries { get; init; }

    /// <summary>Time allowed to each attempt, from when its request has been sent until its response is complete.
    /// Expiry resets the attempt, which <see cref="RetryConditions.ServerError"/>, <see cref="RetryConditions.GatewayError"/>
    /// and <see cref="RetryConditions.Reset"/> retry (not a 504 in <see cref="RetriableStatusCodes"/>, as in Envoy); once
    /// retries are used up it answers 504 UT. Null: only the route timeout applies.</summary>
    public TimeSpan? PerTryTimeout { get; init; }

    public RetryConditions RetryOn { get; init; }

    /// <summary>The statuses <see cref="RetryConditions.RetriableStatusCodes"/> retries.</summary>
    public IReadOnlyList<int> RetriableStatusCodes { get; init; } = [];

    /// <summary>The back-off base interval (Istio <c>retries.backoff</c>); zero retries at once.</summary>
    public TimeSpan BackoffBase { get; init; } = DefaultBackoffBase;

    /// <summary>The back-off cap; null is ten times <see cref="BackoffBase"/> (Envoy).</summary>
    public TimeSpan? BackoffMax { get; init; }

    /// <summary>A retry avoids endpoints already tried when another is available (Envoy's previous-hosts predicate,
    /// up to 5 picks; Istio <c>retryIgnorePreviousHosts</c>, default true, dropped for consistent-hash clusters).</summary>
    public bool AvoidPreviousHosts { get; init; } = true;

    /// <summary>Whether an answer below 400 can be retried (a listed status under 400, or a gRPC condition read from a
    /// <c>grpc-status</c> header): only then are such answers inspected.</summary>
    internal bool InspectsAnswersBelow400 => _inspectsBelow400 ??= ComputeInspectsBelow400();

    private bool? _inspectsBelow400;

    private bool ComputeInspectsBelow400()
    {
        const RetryConditions grpc = RetryConditions.GrpcCancelled | RetryConditions.GrpcDeadlineExceeded | RetryConditions.GrpcInternal
            | RetryConditions.GrpcResourceExhausted | RetryConditions.GrpcUnavailable;
        if ((RetryOn & grpc) != 0)
        {
            return true;
        }

        if ((RetryOn & RetryConditions.RetriableStatusCodes) != 0)
        {
            foreach (var code in RetriableStatusCodes)
            {
                if (code < 400)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Retry requests with a non-idempotent method on every condition of <see cref="RetryOn"/>, as Envoy does.
    /// When false (the default), they are retried only after a connect failure.</summary>
    public bool RetryNonIdempotent { get; init; }
}
