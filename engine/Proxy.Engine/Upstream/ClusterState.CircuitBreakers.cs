namespace Proxy.Engine.Upstream;

// Circuit breakers (CircuitBreakerThresholds): counts of what the cluster holds across its endpoints, each claimed with
// a compare-and-swap against its limit (Envoy's ResourceManagerImpl: canCreate() is "count < max"), so a limit is never
// passed, not even for a moment, and nothing allocates.
internal sealed partial class ClusterState
{
    private int _openConnections;
    private int _pendingRequests;
    private int _activeRequests;
    private int _activeRetries;

    /// <summary>Upstream connections of this cluster from the start of their connect to their disposal.</summary>
    public int OpenConnections => Volatile.Read(ref _openConnections);

    /// <summary>Requests waiting for a connection: connecting, or queued behind MaxConnections.</summary>
    public int PendingRequests => Volatile.Read(ref _pendingRequests);

    /// <summary>Upstream attempts between <see cref="TryStartRequest"/> and <see cref="FinishRequest"/>.</summary>
    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    /// <summary>Retries between <see cref="TryStartRetry"/> and <see cref="FinishRetry"/>.</summary>
    public int ActiveRetries => Volatile.Read(ref _activeRetries);

    internal ProxyStatistics Statistics => _statistics;

    /// <summary>Claims a request slot (MaxRequests) for one upstream attempt; false on overflow (503 UO).</summary>
    public bool TryStartRequest()
    {
        if (TryAcquire(ref _activeRequests, Config.CircuitBreakers.MaxRequests))
        {
            return true;
        }

        Interlocked.Increment(ref _statistics.UpstreamRequestOverflows);
        return false;
    }

    /// <summary>Frees the slot <see cref="TryStartRequest"/> claimed.</summary>
    public void FinishRequest() => Release(ref _activeRequests);

    /// <summary>Claims a retry slot (MaxRetries); false when the retry must not be made (flag UO).</summary>
    public bool TryStartRetry()
    {
        if (TryAcquire(ref _activeRetries, Config.CircuitBreakers.MaxRetries))
        {
            return true;
        }

        Interlocked.Increment(ref _statistics.UpstreamRetryOverflows);
        return false;
    }

    /// <summary>Frees the slot <see cref="TryStartRetry"/> claimed, when the retried attempt ends.</summary>
    public void FinishRetry() => Release(ref _activeRetries);

    /// <summary>A request starts waiting for a connection (MaxPendingRequests); false, counted, when the queue is full.</summary>
    internal bool TryStartPending()
    {
        if (TryAcquire(ref _pendingRequests, Config.CircuitBreakers.MaxPendingRequests))
        {
            return true;
        }

        Interlocked.Increment(ref _statistics.UpstreamPendingOverflows);
        return false;
    }

    internal void FinishPending() => Release(ref _pendingRequests);

    /// <summary>Claims a connection slot under MaxConnections; false when the cluster is full.</summary>
    internal bool TryOpenConnection()
    {
        if (!TryAcquire(ref _openConnections, Config.CircuitBreakers.MaxConnections))
        {
            return false;
        }

        Interlocked.Increment(ref _statistics.UpstreamConnectionsOpenGauge);
        return true;
    }

    /// <summary>Counts a connection opened whatever the limit: an endpoint with no connection may always open one
    /// (Envoy's ConnPoolImplBase::tryCreateNewConnection), or a caller that bypasses the breaker.</summary>
    internal void OpenConnectionOverLimit()
    {
        Interlocked.Increment(ref _openConnections);
        Interlocked.Increment(ref _statistics.UpstreamConnectionsOpenGauge);
    }

    internal void CloseConnection()
    {
        Release(ref _openConnections);
        Interlocked.Decrement(ref _statistics.UpstreamConnectionsOpenGauge);
    }

    private static bool TryAcquire(ref int count, int max)
    {
        var current = Volatile.Read(ref count);
        while (current < max)
        {
            var seen = Interlocked.CompareExchange(ref count, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    private static void Release(ref int count)
    {
        var left = Interlocked.Decrement(ref count);
        System.Diagnostics.Debug.Assert(left >= 0, "A circuit-breaker slot was released twice.");
    }
}
