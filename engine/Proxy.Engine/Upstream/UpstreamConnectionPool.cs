using System.Net.Sockets;
using Proxy.Engine.Transport;

namespace Proxy.Engine.Upstream;

/// <summary>
/// Keep-alive connections to one endpoint. Idle connections are reused most-recently-used first (warm sockets,
/// and the least-used ones age out by the idle timeout); a connection the upstream closed while idle is detected on
/// lease and by the heartbeat sweep, and never handed out.
/// </summary>
/// <remarks>
/// State machine (after Envoy's conn_pool_base): CONNECTING (in <see cref="ConnectAsync"/>) -> BUSY (leased) ->
/// READY (in <see cref="_idle"/>) -> BUSY ... -> CLOSED. Only READY connections live in the pool; a lock guards the
/// idle stack only for a push or pop.
/// </remarks>
internal sealed class UpstreamConnectionPool
{
    private readonly EndpointState _endpoint;
    private readonly Stack<UpstreamConnection> _idle = new();
    private readonly Lock _lock = new();

    public UpstreamConnectionPool(EndpointState endpoint)
    {
        _endpoint = endpoint;
    }

    public int IdleCount
    {
        get
        {
            lock (_lock)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>Pops the most recently used idle connection that is still usable, or null.</summary>
    public UpstreamConnection? TryLeaseIdle(long now, TimeProvider timeProvider, TimeSpan idleTimeout)
    {
        while (true)
        {
            UpstreamConnection? connection;
            lock (_lock)
            {
                if (!_idle.TryPop(out connection))
                {
                    return null;
                }
            }

            if (connection.IsUsableAfterIdle() && !IsExpired(connection, now, timeProvider, idleTimeout))
            {
                return connection;
            }

            Close(connection);
        }
    }

    /// <summary>
    /// A connection for one request: an idle one (unless <paramref name="fresh"/>), else a new one when the cluster's
    /// MaxConnections allows, else the next one returned to this pool, waiting as a pending request (MaxPendingRequests
    /// bounds the waiters, and a request that finds the queue full fails at once with <see cref="LeaseFailure.Overflow"/>).
    /// </summary>
    public async ValueTask<LeaseResult> LeaseAsync(ClusterState cluster, TransportOptions transport, bool fresh, CancellationToken cancellationToken)
    {
        var timeProvider = cluster.TimeProvider;
        if (!fresh && TryLeaseIdle(timeProvider.GetTimestamp(), timeProvider, cluster.Config.IdleTimeout) is { } idle)
        {
            return new(idle, LeaseFailure.None, SocketError.Success);
        }

        var (connection, error) = await ConnectAsync(cluster, transport, cancellationToken).ConfigureAwait(false);
        return connection is null
            ? new(null, cancellationToken.IsCancellationRequested ? LeaseFailure.Canceled : LeaseFailure.ConnectFailed, error)
            : new(connection, LeaseFailure.None, SocketError.Success);
    }

    /// <summary>
    /// Opens a new connection to the endpoint, with TLS when the cluster originates it. The cluster's connect timeout
    /// covers the TCP connect and the TLS handshake together, as Envoy's does.
    /// </summary>
    public async ValueTask<(UpstreamConnection? Connection, SocketError Error)> ConnectAsync(
        ClusterState cluster, TransportOptions transport, CancellationToken cancellationToken)
    {
        var config = cluster.Config;
        var timeProvider = cluster.TimeProvider;
        var started = timeProvider.GetTimestamp();
        var (socket, error) = await SocketConnector.ConnectAsync(_endpoint.ConnectEndPoint, config.ConnectTimeout, timeProvider, transport, cancellationToken)
            .ConfigureAwait(false);
        if (socket is null)
        {
            return (null, error);
        }

        ITransportConnection connection = socket;
        if (cluster.Tls is { } tls)
        {
            var remaining = config.ConnectTimeout - timeProvider.GetElapsedTime(started);
            using var timeout = config.ConnectTimeout > TimeSpan.Zero && config.ConnectTimeout != Timeout.InfiniteTimeSpan
                ? new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromTicks(1), timeProvider)
                : new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var (secured, failure) = await tls.ConnectAsync(socket, transport, linked.Token).ConfigureAwait(false);
            if (secured is null)
            {
                cluster.OnTlsHandshakeFailed(_endpoint, failure);
                return (null, SocketError.ConnectionAborted);
            }

            cluster.OnTlsHandshakeCompleted();
            connection = secured;
        }

        return (new UpstreamConnection(connection, _endpoint, timeProvider.GetTimestamp()), SocketError.Success);
    }

    /// <summary>Puts a connection whose last exchange completed cleanly back for reuse.</summary>
    public void Return(UpstreamConnection connection, long now)
    {
        connection.LastUsedTimestamp = now;
        lock (_lock)
        {
            _idle.Push(connection);
        }
    }

    /// <summary>Closes idle connections that timed out or that the upstream closed (called by the heartbeat).</summary>
    public void Sweep(long now, TimeProvider timeProvider, TimeSpan idleTimeout)
    {
        List<UpstreamConnection>? dead = null;
        lock (_lock)
        {
            if (_idle.Count == 0)
            {
                return;
            }

            var keep = new List<UpstreamConnection>(_idle.Count);
            // Stack enumerates most recent first; rebuild preserving that order.
            foreach (var connection in _idle)
            {
                if (connection.IsUsableAfterIdle() && !IsExpired(connection, now, timeProvider, idleTimeout))
                {
                    keep.Add(connection);
                }
                else
                {
                    (dead ??= []).Add(connection);
                }
            }

            if (dead is null)
            {
                return;
            }

            _idle.Clear();
            for (var i = keep.Count - 1; i >= 0; i--)
            {
                _idle.Push(keep[i]);
            }
        }

        foreach (var connection in dead)
        {
            Close(connection);
        }
    }

    /// <summary>Closes every idle connection (shutdown, or the cluster left the config).</summary>
    public void CloseAll()
    {
        UpstreamConnection[] all;
        lock (_lock)
        {
            all = [.. _idle];
            _idle.Clear();
        }

        foreach (var connection in all)
        {
            Close(connection);
        }
    }

    /// <summary>Zero or infinite means no idle timeout (Istio: <c>idleTimeout: 0s</c> disables it).</summary>
    private static bool IsExpired(UpstreamConnection connection, long now, TimeProvider timeProvider, TimeSpan idleTimeout)
        => idleTimeout > TimeSpan.Zero && timeProvider.GetElapsedTime(connection.LastUsedTimestamp, now) >= idleTimeout;

    private static void Close(UpstreamConnection connection)
        => _ = connection.DisposeAsync().AsTask();
}

/// <summary>Why <see cref="UpstreamConnectionPool.LeaseAsync"/> gave no connection.</summary>
internal enum LeaseFailure : byte
{
    None,

    /// <summary>A circuit breaker is full (pending requests): 503 UO, not retried.</summary>
    Overflow,

    /// <summary>The connection could not be made (refused, timeout, TLS failure): 503 UF.</summary>
    ConnectFailed,

    /// <summary>The caller's token was cancelled while waiting (client gone, route timeout, stop).</summary>
    Canceled,
}

/// <summary>A leased connection, or why there is none.</summary>
internal readonly record struct LeaseResult(UpstreamConnection? Connection, LeaseFailure Failure, System.Net.Sockets.SocketError Error);
