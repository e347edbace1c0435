using Proxy.Engine.Routing;
using Proxy.Engine.Upstream;
using Proxy.Protocols.Http1;

namespace Proxy.Engine.Http;

/// <summary>
/// Retries (Envoy's RetryStateImpl, as Istio configures it): whether a failed attempt is tried again, the back-off
/// before it and the endpoint it goes to. See <see cref="RetryPolicy"/> for the rules.
/// </summary>
internal sealed partial class Http1ProxyConnection
{
    private static readonly long MaxBackoffTicks = TimeSpan.FromDays(1).Ticks;

    private RetryPolicy? _retry;
    private int _retriesLeft;
    private int _attempts;
    private bool _retrySlotHeld;
    private bool _responseStarted;
    private bool _tunneling;
    private readonly EndpointState?[] _tried = new EndpointState?[8];
    private int _triedCount;

    private enum RetryCause : byte
    {
        ConnectFailure,
        Reset,
        PerTryTimeout,
        Response,
    }

    /// <summary>
    /// Decides whether the attempt that just failed by <paramref name="cause"/> is retried, and if so claims the retry
    /// (the attempt budget and the cluster's MaxRetries slot). Sets URX when retries are used up and UO when the
    /// circuit breaker refuses, as Envoy's router does. <paramref name="replayable"/>: the request can be sent again
    /// (nothing of its body was consumed, or it was kept whole).
    /// </summary>
    private bool ShouldRetry(ClusterState cluster, RetryCause cause, int statusCode, bool replayable)
    {
        ReleaseRetrySlot(cluster);
        var policy = _retry;
        if (policy is null || _responseStarted || !WouldRetry(policy, cause, statusCode))
        {
            return false;
        }

        // Our deliberate difference from Envoy: unless retryOn was written out, a request that is not idempotent is
        // retried only when it never reached the upstream.
        if (cause != RetryCause.ConnectFailure && !policy.RetryNonIdempotent && !IsIdempotent(_request.Method))
        {
            return false;
        }

        if (!replayable)
        {
            return false;
        }

        if (_retriesLeft == 0)
        {
            _flags |= ResponseFlags.UpstreamRetryLimitExceeded;
            Interlocked.Increment(ref _context.Statistics.UpstreamRetriesExhausted);
            return false;
        }

        _retriesLeft--;
        if (!cluster.TryStartRetry())
        {
            _flags |= ResponseFlags.UpstreamOverflow;
            return false;
        }

        _retrySlotHeld = true;
        Interlocked.Increment(ref _context.Statistics.UpstreamRetries);
        return true;
    }

    private void ReleaseRetrySlot(ClusterState cluster)
    {
        if (_retrySlotHeld)
        {
            _retrySlotHeld = false;
            cluster.FinishRetry();
        }
    }

    /// <summary>Envoy's wouldRetryFromReset / wouldRetryFromHeaders. A per-try timeout is a reset to Envoy (router.cc
    /// onPerTryTimeoutCommon asks maybeRetryReset with LocalReset), so 5xx, gateway-error and reset retry it.</summary>
    private bool WouldRetry(RetryPolicy policy, RetryCause cause, int statusCode)
    {
        var on = policy.RetryOn;
        switch (cause)
        {
            case RetryCause.ConnectFailure:
                return (on & (RetryConditions.ServerError | RetryConditions.GatewayError | RetryConditions.Reset | RetryConditions.ConnectFailure)) != 0;
            case RetryCause.Reset:
            case RetryCause.PerTryTimeout:
                return (on & (RetryConditions.ServerError | RetryConditions.GatewayError | RetryConditions.Reset)) != 0;
        }

        // An upstream that is itself an overloaded Envoy, or rate limited, is not retried (Envoy).
        if (_response.TryGetValue("x-envoy-overloaded"u8, out _))
        {
            return false;
        }

        if (_response.TryGetValue("x-envoy-ratelimited"u8, out _))
        {
            return (on & RetryConditions.EnvoyRateLimited) != 0;
        }

        if ((on & RetryConditions.ServerError) != 0 && statusCode is >= 500 and <= 599)
        {
            return true;
        }

        if ((on & RetryConditions.GatewayError) != 0 && statusCode is 502 or 503 or 504)
        {
            return true;
        }

        if ((on & RetryConditions.Retriable4xx) != 0 && statusCode == 409)
        {
            return true;
        }

        if ((on & RetryConditions.RetriableStatusCodes) != 0)
        {
            var codes = policy.RetriableStatusCodes;
            for (var i = 0; i < codes.Count; i++)
            {
                if (codes[i] == statusCode)
                {
                    return true;
                }
            }
        }

        const RetryConditions grpc = RetryConditions.GrpcCancelled | RetryConditions.GrpcDeadlineExceeded | RetryConditions.GrpcInternal
            | RetryConditions.GrpcResourceExhausted | RetryConditions.GrpcUnavailable;
        if ((on & grpc) != 0 && _response.TryGetValue("grpc-status"u8, out var grpcStatus) && TryParseSmall(grpcStatus, out var code))
        {
            var condition = code switch
            {
                1 => RetryConditions.GrpcCancelled,
                4 => RetryConditions.GrpcDeadlineExceeded,
                8 => RetryConditions.GrpcResourceExhausted,
                13 => RetryConditions.GrpcInternal,
                14 => RetryConditions.GrpcUnavailable,
                _ => RetryConditions.None,
            };
            return (on & condition) != 0;
        }

        return false;
    }

    private static bool TryParseSmall(ReadOnlySpan<byte> value, out int result)
    {
        result = 0;
        if (value.IsEmpty || value.Length > 3)
        {
            return false;
        }

        foreach (var b in value)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            result = (result * 10) + (b - '0');
        }

        return true;
    }

    /// <summary>RFC 9110 9.2.2: GET, HEAD, OPTIONS, TRACE, PUT and DELETE are idempotent.</summary>
    private static bool IsIdempotent(Http1Method method) => method is Http1Method.Get or Http1Method.Head or Http1Method.Options
        or Http1Method.Trace or Http1Method.Put or Http1Method.Delete;

    /// <summary>
    /// Envoy's fully jittered exponential back-off before retry <c>n</c>: a random time in [0, (2^n - 1) x base), the
    /// upper bound capped at the maximum (10 x base by default). False when the client went away meanwhile; a route
    /// timeout ends the wait early and the caller answers it.
    /// </summary>
    private async ValueTask<bool> BackoffAsync(RetryPolicy policy, int retry)
    {
        var baseTicks = policy.BackoffBase.Ticks;
        if (baseTicks <= 0)
        {
            return !ClientGone;
        }

        // Capped at a day: Task.Delay refuses waits past about 49 days, and no retry should wait that long anyway.
        var maxTicks = Math.Min((policy.BackoffMax ?? TimeSpan.FromTicks(Math.Min(baseTicks, MaxBackoffTicks / 10) * 10)).Ticks, MaxBackoffTicks);
        var multiplier = retry >= 62 ? long.MaxValue : (1L << retry) - 1;
        var upper = multiplier > maxTicks / baseTicks ? maxTicks : multiplier * baseTicks;
        var delay = TimeSpan.FromTicks(Random.Shared.NextInt64(Math.Max(upper, 1)));
        if (delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, _context.TimeProvider, RequestToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return RouteTimedOut;
            }
        }

        return !ClientGone;
    }

    /// <summary>
    /// The endpoint for a retry: with <see cref="RetryPolicy.AvoidPreviousHosts"/>, one not tried yet when a few picks
    /// find one (Envoy's previous-hosts predicate with host_selection_retry_max_attempts 5; the last pick is used when
    /// all were tried). Ejected endpoints are never picked.
    /// </summary>
    private EndpointState? PickRetryEndpoint(ClusterState cluster, RetryPolicy policy)
    {
        var context = new LoadBalancerContext(_request, _downstream.RemoteEndPoint, _downstream.LocalEndPoint);
        return policy.AvoidPreviousHosts
            ? cluster.PickEndpoint(context, _tried.AsSpan(0, _triedCount)).Endpoint
            : cluster.PickEndpoint(context).Endpoint;
    }

    private bool WasTried(EndpointState endpoint)
    {
        for (var i = 0; i < _triedCount; i++)
        {
            if (ReferenceEquals(_tried[i], endpoint))
            {
                return true;
            }
        }

        return false;
    }

    private void RememberTried(EndpointState endpoint)
    {
        if (!WasTried(endpoint))
        {
            if (_triedCount == _tried.Length)
            {
                // Oldest forgotten first; a policy with that many retries across that many endpoints is rare.
                Array.Copy(_tried, 1, _tried, 0, _tried.Length - 1);
                _triedCount--;
            }

            _tried[_triedCount++] = endpoint;
        }
    }

    private void ResetRetryState(RetryPolicy? policy)
    {
        _retry = policy is { NumRetries: > 0 } ? policy : null;
        _retriesLeft = _retry?.NumRetries ?? 0;
        _attempts = 0;
        _responseStarted = false;
        _tunneling = false;
        Array.Clear(_tried, 0, _triedCount);
        _triedCount = 0;
    }
}
