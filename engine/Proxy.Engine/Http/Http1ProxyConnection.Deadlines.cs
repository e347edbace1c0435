using Proxy.Engine.Upstream;

namespace Proxy.Engine.Http;

/// <summary>
/// The deadlines of the request in progress: the route timeout (from the end of the downstream request until the
/// response is complete, every retry included, as Envoy's) and the retry policy's per-try timeout (from the moment an
/// attempt's request has been sent). One timer per connection, created on the first request that needs it and re-armed
/// per request, so a request allocates nothing for its deadlines; it fires at the nearest one.
/// </summary>
/// <remarks>
/// Firing aborts the upstream connection of the attempt in flight (its read then ends) and, for the route timeout, the
/// request's waits (lease, pending queue, back-off). The attempt sees which deadline fired through
/// <see cref="RouteTimedOut"/> and <see cref="TryTimedOut"/>. State changes happen under a lock taken only by requests
/// whose route has a deadline, and by the timer.
/// </remarks>
internal sealed partial class Http1ProxyConnection
{
    // The longest due time .NET timers accept (about 49.7 days).
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly Lock _deadlineLock = new();
    private ITimer? _deadlineTimer;
    private TimeSpan _routeTimeout;
    private TimeSpan _tryTimeout;
    private long _routeDeadline; // timestamp; 0 = not armed
    private long _tryDeadline;
    private long _timerDueAt = long.MaxValue; // when the timer will fire next (timestamp); MaxValue when not armed
    private bool _routeFired;
    private bool _tryFired;
    private bool _routeArmedThisRequest;

    // Cancelled by Abort and by the route timeout: what a request waits on (lease, pending queue, back-off). Reused
    // until cancelled.
    private CancellationTokenSource _requestCts = new();

    private CancellationToken RequestToken => _requestCts.Token;

    private bool RouteTimedOut => Volatile.Read(ref _routeFired);

    private bool TryTimedOut => Volatile.Read(ref _tryFired);

    /// <summary>Sets the request's deadlines (none when zero) before it is forwarded.</summary>
    private void BeginDeadlines(TimeSpan routeTimeout, TimeSpan tryTimeout)
    {
        _routeTimeout = routeTimeout;
        _tryTimeout = tryTimeout;
        _routeArmedThisRequest = false;
        if (_requestCts.IsCancellationRequested)
        {
            lock (_deadlineLock)
            {
                ReplaceRequestCtsLocked();
            }
        }
    }

    /// <summary>Starts the route timeout, once per request, when the whole request has been sent on.</summary>
    private void ArmRouteTimer()
    {
        if (_routeTimeout <= TimeSpan.Zero || _routeArmedThisRequest)
        {
            return;
        }

        _routeArmedThisRequest = true;
        lock (_deadlineLock)
        {
            var now = _context.TimeProvider.GetTimestamp();
            _routeDeadline = now + ToTimestampTicks(_routeTimeout);
            _routeFired = false;
            ScheduleLocked(now);
        }
    }

    /// <summary>Starts the per-try timeout of the attempt whose request has just been sent.</summary>
    private void ArmTryTimer()
    {
        if (_tryTimeout <= TimeSpan.Zero)
        {
            return;
        }

        lock (_deadlineLock)
        {
            var now = _context.TimeProvider.GetTimestamp();
            _tryDeadline = now + ToTimestampTicks(_tryTimeout);
            _tryFired = false;
            ScheduleLocked(now);
        }
    }

    /// <summary>Stops the attempt's per-try timeout; false when it had fired.</summary>
    private bool DisarmTryTimer()
    {
        // Not armed (or already disarmed): the timer cannot fire for it, so no lock is needed to know.
        if (_tryTimeout <= TimeSpan.Zero || (Volatile.Read(ref _tryDeadline) == 0 && !Volatile.Read(ref _tryFired)))
        {
            return true;
        }

        lock (_deadlineLock)
        {
            var fired = _tryFired;
            _tryDeadline = 0;
            _tryFired = false;
            return !fired;
        }
    }

    /// <summary>Stops the route timeout; false when it had fired (the upstream connection was then aborted).</summary>
    private bool DisarmRouteTimer()
    {
        if (_routeTimeout <= TimeSpan.Zero)
        {
            return true;
        }

        lock (_deadlineLock)
        {
            var fired = _routeFired;
            if (fired)
            {
                ReplaceRequestCtsLocked();
            }

            _routeDeadline = 0;
            _routeFired = false;
            _tryDeadline = 0;
            _tryFired = false;
            return !fired;
        }
    }

    /// <summary>The timer that fired may still be about to cancel this request's waits (it cancels outside the lock):
    /// the next request gets a source of its own.</summary>
    private void ReplaceRequestCtsLocked()
    {
        _requestCts.Dispose();
        _requestCts = new CancellationTokenSource();
    }

    /// <summary>Clears every deadline at the end of a request.</summary>
    private void EndDeadlines()
    {
        var armed = Volatile.Read(ref _routeDeadline) != 0 || Volatile.Read(ref _tryDeadline) != 0
            || Volatile.Read(ref _routeFired) || Volatile.Read(ref _tryFired);
        if (armed)
        {
            lock (_deadlineLock)
            {
                if (_routeFired)
                {
                    ReplaceRequestCtsLocked();
                }

                _routeDeadline = 0;
                _tryDeadline = 0;
                _routeFired = false;
                _tryFired = false;
            }
        }

        _routeTimeout = TimeSpan.Zero;
        _tryTimeout = TimeSpan.Zero;
    }

    private void ScheduleLocked(long now)
    {
        var next = long.MaxValue;
        if (_routeDeadline != 0 && !_routeFired)
        {
            next = _routeDeadline;
        }

        if (_tryDeadline != 0 && !_tryFired)
        {
            next = Math.Min(next, _tryDeadline);
        }

        // A timer already due no later than the nearest deadline stays as it is: firing early only reschedules. So a
        // keep-alive connection whose requests all finish well within their deadlines re-arms the timer about once per
        // timeout, not once per request.
        if (next == long.MaxValue || (_timerDueAt > now && _timerDueAt <= next))
        {
            return;
        }

        var timeProvider = _context.TimeProvider;
        var due = next <= now ? TimeSpan.Zero : timeProvider.GetElapsedTime(now, next);
        if (due > MaxTimerDue)
        {
            due = MaxTimerDue; // the timer refuses longer; firing early just reschedules
        }

        _timerDueAt = next <= now ? now : (due == MaxTimerDue ? now + ToTimestampTicks(MaxTimerDue) : next);

        if (_deadlineTimer is null)
        {
            // Created once per connection, without capturing the first request's execution context.
            using (ExecutionContext.SuppressFlow())
            {
                _deadlineTimer = timeProvider.CreateTimer(static state => ((Http1ProxyConnection)state!).OnDeadline(), this, due, Timeout.InfiniteTimeSpan);
            }
        }
        else
        {
            _deadlineTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnDeadline()
    {
        UpstreamConnection? victim = null;
        CancellationTokenSource? cancelWaits = null;
        lock (_deadlineLock)
        {
            if (_deadlineTimer is null)
            {
                return; // disposed
            }

            var now = _context.TimeProvider.GetTimestamp();
            _timerDueAt = long.MaxValue;
            if (_routeDeadline != 0 && !_routeFired && now >= _routeDeadline)
            {
                _routeFired = true;
                cancelWaits = _requestCts;
                victim = Interlocked.Exchange(ref _activeUpstream, null);
                Interlocked.Increment(ref _context.Statistics.HttpRouteTimeouts);
            }
            else if (_tryDeadline != 0 && !_tryFired && now >= _tryDeadline)
            {
                _tryFired = true;
                victim = Interlocked.Exchange(ref _activeUpstream, null);
                Interlocked.Increment(ref _context.Statistics.UpstreamPerTryTimeouts);
            }

            ScheduleLocked(now);
        }

        victim?.Abort();
        try
        {
            cancelWaits?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The request ended and its source was replaced meanwhile: nothing left to wake.
        }
    }

    private void CancelRequestWaits()
    {
        try
        {
            _requestCts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private long ToTimestampTicks(TimeSpan timeout)
    {
        var ticks = (double)timeout.Ticks * _context.TimeProvider.TimestampFrequency / TimeSpan.TicksPerSecond;
        return ticks >= long.MaxValue / 2 ? long.MaxValue / 2 : Math.Max(1, (long)ticks);
    }

    private void DisposeDeadlines()
    {
        lock (_deadlineLock)
        {
            _deadlineTimer?.Dispose();
            _deadlineTimer = null;
        }

        _requestCts.Dispose();
    }
}
