using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace Proxy.Engine.Upstream;

// The pending-request queue: leases waiting behind MaxConnections, oldest first, as an intrusive doubly linked list
// (O(1) removal when one is cancelled) of pooled waiters.
internal sealed partial class UpstreamConnectionPool
{
    /// <summary>Waiters kept for reuse per pool; more than this many at once are allocated and dropped.</summary>
    private const int MaxPooledWaiters = 16;

    private LeaseWaiter? _freeWaiters;
    private int _freeWaiterCount;

    private enum WaitResult : byte
    {
        /// <summary>A slot was claimed for the waiter: it connects.</summary>
        Connect,

        /// <summary>A returned connection was handed to it.</summary>
        HandedOver,

        /// <summary>Its token was cancelled.</summary>
        Canceled,

        /// <summary>A connect of this pool failed, failing every waiter.</summary>
        ConnectFailed,
    }

    private LeaseWaiter EnqueueLocked(bool fresh)
    {
        var waiter = _freeWaiters;
        if (waiter is null)
        {
            waiter = new LeaseWaiter(this);
        }
        else
        {
            _freeWaiters = waiter.Next;
            _freeWaiterCount--;
        }

        waiter.Fresh = fresh;
        waiter.Queued = true;
        waiter.Next = null;
        waiter.Previous = _lastWaiter;
        if (_lastWaiter is null)
        {
            _firstWaiter = waiter;
        }
        else
        {
            _lastWaiter.Next = waiter;
        }

        _lastWaiter = waiter;
        _waiting++;
        return waiter;
    }

    private void RemoveLocked(LeaseWaiter waiter)
    {
        if (waiter.Previous is null)
        {
            _firstWaiter = waiter.Next;
        }
        else
        {
            waiter.Previous.Next = waiter.Next;
        }

        if (waiter.Next is null)
        {
            _lastWaiter = waiter.Previous;
        }
        else
        {
            waiter.Next.Previous = waiter.Previous;
        }

        waiter.Next = waiter.Previous = null;
        waiter.Queued = false;
        _waiting--;
    }

    /// <summary>Waits for the waiter's outcome; a cancelled token removes it from the queue unless someone already did
    /// (whoever removes a waiter under the lock completes it, exactly once).</summary>
    private async ValueTask<WaitOutcome> WaitAsync(LeaseWaiter waiter, CancellationToken cancellationToken)
    {
        var registration = cancellationToken.UnsafeRegister(static state => ((LeaseWaiter)state!).Cancel(), waiter);
        try
        {
            return await new ValueTask<WaitOutcome>(waiter, waiter.Version).ConfigureAwait(false);
        }
        finally
        {
            // Dispose waits for a cancellation callback that is running, so nothing touches the waiter once it is reused.
            registration.Dispose();
            waiter.Reset();
            lock (_lock)
            {
                if (_freeWaiterCount < MaxPooledWaiters)
                {
                    waiter.Next = _freeWaiters;
                    _freeWaiters = waiter;
                    _freeWaiterCount++;
                }
            }
        }
    }

    private void CancelWaiter(LeaseWaiter waiter)
    {
        lock (_lock)
        {
            if (!waiter.Queued)
            {
                return;
            }

            RemoveLocked(waiter);
        }

        waiter.Complete(new(WaitResult.Canceled, null, SocketError.OperationAborted));
    }

    private readonly record struct WaitOutcome(WaitResult Result, UpstreamConnection? Connection, SocketError Error);

    /// <summary>One queued lease. Links and flags are guarded by the pool's lock; completion continues asynchronously so
    /// that a completer never runs the lease's continuation inline.</summary>
    private sealed class LeaseWaiter : IValueTaskSource<WaitOutcome>
    {
        private readonly UpstreamConnectionPool _pool;
        private ManualResetValueTaskSourceCore<WaitOutcome> _core;

        public LeaseWaiter(UpstreamConnectionPool pool)
        {
            _pool = pool;
            _core.RunContinuationsAsynchronously = true;
        }

        public LeaseWaiter? Previous { get; set; }

        public LeaseWaiter? Next { get; set; }

        /// <summary>In the queue: not yet handed a connection, a slot, a failure or its cancellation.</summary>
        public bool Queued { get; set; }

        /// <summary>Wants a new connection, not a reused one.</summary>
        public bool Fresh { get; set; }

        public short Version => _core.Version;

        public void Complete(WaitOutcome outcome) => _core.SetResult(outcome);

        public void Cancel() => _pool.CancelWaiter(this);

        public void Reset() => _core.Reset();

        public WaitOutcome GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, flags);
    }
}
