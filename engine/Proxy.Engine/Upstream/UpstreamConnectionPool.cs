using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Proxy.Engine.Transport;

namespace Proxy.Engine.Upstream;

/// <summary>
/// Keep-alive connections to one endpoint, under the cluster's circuit breakers. Idle connections are reused
/// most-recently-used first (warm sockets, and the least-used ones age out by the idle timeout); a connection the
/// upstream closed while idle is detected on lease and by the heartbeat sweep, and never handed out.
/// </summary>
/// <remarks>
/// <para>State machine (after Envoy's conn_pool_base): CONNECTING (in a connect) -> BUSY (leased) -> READY (in
/// <see cref="_idle"/>) -> BUSY ... -> CLOSED. Every connection from the start of its connect to its disposal holds one
/// of the cluster's MaxConnections slots and is counted in <see cref="_connections"/>.</para>
/// <para>A lease (Envoy's HTTP/1 newStream): a READY connection if any; else the request becomes pending
/// (MaxPendingRequests, overflow at once) and connects if the cluster has a free slot, or if this endpoint has no
/// connection at all (Envoy lets such a pool open one so its pending requests can make progress); else it waits in
/// <see cref="_firstWaiter"/>'s FIFO for a connection this pool returns (handed straight to the oldest waiter) or for
/// one of this pool's connections to close (its slot then goes to the oldest waiter, which connects). A failed connect
/// fails every waiter with it (Envoy purges the pending streams on a connect failure).</para>
/// <para>The lock guards the idle stack, the waiter queue and <see cref="_connections"/>; nothing awaits under it,
/// and waiters resume asynchronously, never inside it.</para>
/// </remarks>
internal sealed partial class UpstreamConnectionPool
{
    private readonly EndpointState _endpoint;

    // A stack: the end is the most recently used.
    private readonly List<UpstreamConnection> _idle = [];
    private readonly Lock _lock = new();
    private LeaseWaiter? _firstWaiter;
    private LeaseWaiter? _lastWaiter;
    private int _connections;
    private int _waiting;

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

    /// <summary>This endpoint's connections: connecting, leased and idle.</summary>
    public int ConnectionCount => Volatile.Read(ref _connections);

    /// <summary>Leases queued behind MaxConnections.</summary>
    public int WaitingCount => Volatile.Read(ref _waiting);

    /// <summary>
    /// A connection for one request: an idle one (unless <paramref name="fresh"/>), else a new one when the cluster's
    /// MaxConnections allows, else the next one returned to this pool, waiting as a pending request (MaxPendingRequests
    /// bounds the waiters, and a request that finds the queue full fails at once with <see cref="LeaseFailure.Overflow"/>).
    /// </summary>
    /// <remarks>Allocation-free when an idle connection is there; a connect costs what it did before the breakers
    /// (the pooled state machine), and only a wait takes a waiter and a cancellation registration.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<LeaseResult> LeaseAsync(ClusterState cluster, TransportOptions transport, bool fresh, CancellationToken cancellationToken)
    {
        var timeProvider = cluster.TimeProvider;
        var pending = false;
        try
        {
            while (true)
            {
                UpstreamConnection? idle = null;
                UpstreamConnection? evicted = null;
                LeaseWaiter? waiter = null;
                lock (_lock)
                {
                    if (!fresh && _idle.Count > 0)
                    {
                        idle = _idle[^1];
                        _idle.RemoveAt(_idle.Count - 1);
                    }
                    else if (pending || (pending = cluster.TryStartPending()))
                    {
                        if (!TryClaimSlotLocked(cluster, countOverflow: true))
                        {
                            waiter = EnqueueLocked(fresh);
                            if (_idle.Count > 0)
                            {
                                // Only a fresh lease waits beside idle connections: closing the least recently used
                                // one frees the slot it needs (or an older waiter's), instead of waiting for the sweep.
                                evicted = _idle[0];
                                _idle.RemoveAt(0);
                            }
                        }
                    }
                }

                if (evicted is not null)
                {
                    Close(evicted);
                }

                if (idle is not null)
                {
                    if (IsReusable(idle, timeProvider.GetTimestamp(), timeProvider, cluster.Config.IdleTimeout))
                    {
                        return new(idle, LeaseFailure.None, SocketError.Success);
                    }

                    Close(idle);
                    continue;
                }

                if (!pending)
                {
                    return new(null, LeaseFailure.Overflow, SocketError.Success);
                }

                if (waiter is not null)
                {
                    var outcome = await WaitAsync(waiter, cancellationToken).ConfigureAwait(false);
                    switch (outcome.Result)
                    {
                        case WaitResult.HandedOver:
                            return new(outcome.Connection, LeaseFailure.None, SocketError.Success);
                        case WaitResult.Canceled:
                            return new(null, LeaseFailure.Canceled, SocketError.OperationAborted);
                        case WaitResult.ConnectFailed:
                            return new(null, LeaseFailure.ConnectFailed, outcome.Error);
                    }

                    // WaitResult.Connect: a slot was claimed for us.
                }

                var (connection, error) = await ConnectClaimedAsync(cluster, transport, purgeOnFailure: true, cancellationToken).ConfigureAwait(false);
                return connection is null
                    ? new(null, cancellationToken.IsCancellationRequested ? LeaseFailure.Canceled : LeaseFailure.ConnectFailed, error)
                    : new(connection, LeaseFailure.None, SocketError.Success);
            }
        }
        finally
        {
            if (pending)
            {
                cluster.FinishPending();
            }
        }
    }

    /// <summary>
    /// A new connection for an L4 (tcp_proxy) connection, which is never pooled: it counts as pending while it
    /// connects and takes a MaxConnections slot; with the cluster full it fails at once with
    /// <see cref="LeaseFailure.Overflow"/> (Envoy's tcp_proxy checks the breaker before asking the pool, "because the TCP
    /// conn pool will queue our request waiting for a connection that will never be released").
    /// </summary>
    public async ValueTask<LeaseResult> LeaseTunnelAsync(ClusterState cluster, TransportOptions transport, CancellationToken cancellationToken)
    {
        if (!cluster.TryStartPending())
        {
            return new(null, LeaseFailure.Overflow, SocketError.Success);
        }

        try
        {
            lock (_lock)
            {
                if (!cluster.TryOpenConnection())
                {
                    Interlocked.Increment(ref cluster.Statistics.TcpConnectionOverflows);
                    return new(null, LeaseFailure.Overflow, SocketError.Success);
                }

                _connections++;
            }

            var (connection, error) = await ConnectClaimedAsync(cluster, transport, purgeOnFailure: false, cancellationToken).ConfigureAwait(false);
            return connection is null
                ? new(null, cancellationToken.IsCancellationRequested ? LeaseFailure.Canceled : LeaseFailure.ConnectFailed, error)
                : new(connection, LeaseFailure.None, SocketError.Success);
        }
        finally
        {
            cluster.FinishPending();
        }
    }

    /// <summary>
    /// Opens a new connection to the endpoint whatever the circuit breakers say (it is still counted). Callers that
    /// must respect them use <see cref="LeaseAsync"/> or <see cref="LeaseTunnelAsync"/>.
    /// </summary>
    public ValueTask<(UpstreamConnection? Connection, SocketError Error)> ConnectAsync(
        ClusterState cluster, TransportOptions transport, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            cluster.OpenConnectionOverLimit();
            _connections++;
        }

        return ConnectClaimedAsync(cluster, transport, purgeOnFailure: false, cancellationToken);
    }

    /// <summary>
    /// Puts a connection whose last exchange completed cleanly back for reuse, counting the request it carried: to the
    /// oldest waiting lease if any, else on the idle stack. A connection that has carried MaxRequestsPerConnection
    /// requests or lived MaxConnectionDuration is closed instead (its slot then goes to a waiter).
    /// </summary>
    public void Return(UpstreamConnection connection, long now)
    {
        connection.RequestCount++;
        connection.LastUsedTimestamp = now;
        var cluster = connection.Cluster;
        var maxRequests = cluster.Config.MaxRequestsPerConnection;
        if (maxRequests > 0 && connection.RequestCount >= maxRequests)
        {
            Interlocked.Increment(ref cluster.Statistics.UpstreamMaxRequestsClosed);
            Close(connection);
            return;
        }

        if (HasOutlived(connection, now))
        {
            Interlocked.Increment(ref cluster.Statistics.UpstreamMaxDurationClosed);
            Close(connection);
            return;
        }

        // A connection handed straight to a waiter skips the check a lease from the idle stack makes: make it here, so
        // stray bytes after a response (or an end of stream) never reach another request as its response.
        if (connection.Transport.IsAborted || connection.IsDisposed || !connection.IsUsableAfterIdle())
        {
            Close(connection);
            return;
        }

        LeaseWaiter? waiter;
        lock (_lock)
        {
            waiter = _firstWaiter;
            if (waiter is null)
            {
                _idle.Add(connection);
                return;
            }

            if (!waiter.Fresh)
            {
                RemoveLocked(waiter);
            }
        }

        if (waiter.Fresh)
        {
            // The oldest waiter wants a new connection (a retry after a reused one failed): this connection's slot
            // goes to it when it closes.
            Close(connection);
            return;
        }

        waiter.Complete(new(WaitResult.HandedOver, connection, SocketError.Success));
    }

    /// <summary>Closes idle connections that timed out, outlived MaxConnectionDuration or that the upstream closed
    /// (called by the heartbeat).</summary>
    public void Sweep(long now, TimeProvider timeProvider, TimeSpan idleTimeout)
    {
        List<UpstreamConnection>? dead = null;
        lock (_lock)
        {
            var kept = 0;
            for (var i = 0; i < _idle.Count; i++)
            {
                var connection = _idle[i];
                if (IsReusable(connection, now, timeProvider, idleTimeout))
                {
                    _idle[kept++] = connection;
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

            _idle.RemoveRange(kept, _idle.Count - kept);
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

    /// <summary>Gives back the slot of a connection of this pool (from <see cref="UpstreamConnection.DisposeAsync"/>,
    /// once per connection) and lets the oldest waiter connect with it.</summary>
    internal void OnConnectionClosed(UpstreamConnection connection) => ReleaseSlot(connection.Cluster, purge: false, SocketError.Success);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(UpstreamConnection? Connection, SocketError Error)> ConnectClaimedAsync(
        ClusterState cluster, TransportOptions transport, bool purgeOnFailure, CancellationToken cancellationToken)
    {
        var error = SocketError.SocketError;
        try
        {
            var (connection, connectError) = await ConnectTransportAsync(cluster, transport, cancellationToken).ConfigureAwait(false);
            error = connectError;
            if (connection is not null)
            {
                return (new UpstreamConnection(connection, cluster, _endpoint, cluster.TimeProvider.GetTimestamp()), SocketError.Success);
            }
        }
        catch
        {
            ReleaseSlot(cluster, purgeOnFailure, error);
            throw;
        }

        // A cancelled lease frees its slot for the next waiter; a real failure (refused, timeout, TLS) fails them all.
        ReleaseSlot(cluster, purgeOnFailure && !cancellationToken.IsCancellationRequested, error);
        return (null, error);
    }

    /// <summary>
    /// The socket, then TLS when the cluster originates it. The cluster's connect timeout covers the TCP connect and the
    /// TLS handshake together, as Envoy's does.
    /// </summary>
    private async ValueTask<(ITransportConnection? Connection, SocketError Error)> ConnectTransportAsync(
        ClusterState cluster, TransportOptions transport, CancellationToken cancellationToken)
    {
        var config = cluster.Config;
        var timeProvider = cluster.TimeProvider;
        var started = timeProvider.GetTimestamp();
        var (socket, error) = await SocketConnector.ConnectAsync(
            _endpoint.ConnectEndPoint, config.ConnectTimeout, timeProvider, transport, config.TcpKeepAlive, cancellationToken).ConfigureAwait(false);
        if (socket is null || cluster.Tls is not { } tls)
        {
            return (socket, error);
        }

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
        return (secured, SocketError.Success);
    }

    /// <summary>A connection of this pool closed or failed to connect: its slot goes back to the cluster, and the oldest
    /// waiter connects if the breaker (or this pool's emptiness) now allows; or, on a connect failure, every waiter fails
    /// with it.</summary>
    private void ReleaseSlot(ClusterState cluster, bool purge, SocketError error)
    {
        LeaseWaiter? wake = null;
        lock (_lock)
        {
            _connections--;
            cluster.CloseConnection();
            if (_firstWaiter is null)
            {
                return;
            }

            if (purge)
            {
                wake = _firstWaiter;
                for (var waiter = wake; waiter is not null; waiter = waiter.Next)
                {
                    waiter.Queued = false;
                }

                _firstWaiter = _lastWaiter = null;
                _waiting = 0;
            }
            else if (TryClaimSlotLocked(cluster, countOverflow: false))
            {
                wake = _firstWaiter;
                RemoveLocked(wake);
            }
        }

        if (purge)
        {
            while (wake is not null)
            {
                // Read the link before completing: the waiter may be reused at once.
                var next = wake.Next;
                wake.Complete(new(WaitResult.ConnectFailed, null, error));
                wake = next;
            }
        }
        else
        {
            wake?.Complete(new(WaitResult.Connect, null, SocketError.Success));
        }
    }

    /// <summary>Claims a MaxConnections slot for a new connection of this pool. With the cluster full, a pool with no
    /// connection still opens one (Envoy: "always create one, to prevent pending streams being queued to this upstream
    /// with no way to be processed"); the overflow is counted either way, as Envoy's upstream_cx_overflow is.</summary>
    private bool TryClaimSlotLocked(ClusterState cluster, bool countOverflow)
    {
        if (cluster.TryOpenConnection())
        {
            _connections++;
            return true;
        }

        if (countOverflow)
        {
            Interlocked.Increment(ref cluster.Statistics.UpstreamConnectionOverflows);
        }

        if (_connections == 0)
        {
            cluster.OpenConnectionOverLimit();
            _connections++;
            return true;
        }

        return false;
    }

    private UpstreamConnection? TryPopIdle()
    {
        lock (_lock)
        {
            if (_idle.Count == 0)
            {
                return null;
            }

            var connection = _idle[^1];
            _idle.RemoveAt(_idle.Count - 1);
            return connection;
        }
    }

    /// <summary>Usable, within the idle timeout (zero or infinite means none: Istio <c>idleTimeout: 0s</c> disables it)
    /// and younger than MaxConnectionDuration.</summary>
    private static bool IsReusable(UpstreamConnection connection, long now, TimeProvider timeProvider, TimeSpan idleTimeout)
    {
        if (!connection.IsUsableAfterIdle())
        {
            return false;
        }

        if (idleTimeout > TimeSpan.Zero && timeProvider.GetElapsedTime(connection.LastUsedTimestamp, now) >= idleTimeout)
        {
            return false;
        }

        if (HasOutlived(connection, now))
        {
            Interlocked.Increment(ref connection.Cluster.Statistics.UpstreamMaxDurationClosed);
            return false;
        }

        return true;
    }

    /// <summary>Envoy's max_connection_duration counts from when the connection was established.</summary>
    private static bool HasOutlived(UpstreamConnection connection, long now)
        => connection.Cluster.Config.MaxConnectionDuration is { Ticks: > 0 } maxDuration
            && connection.Cluster.TimeProvider.GetElapsedTime(connection.CreatedTimestamp, now) >= maxDuration;

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
