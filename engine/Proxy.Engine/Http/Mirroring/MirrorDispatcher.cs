namespace Proxy.Engine.Http.Mirroring;

/// <summary>
/// The server's mirrors in flight: bounds them and ends them on stop. A copy is admitted only while fewer than
/// <see cref="MaxInFlight"/> are running (over the cap it is dropped and counted, so a slow mirror cluster cannot pile
/// up memory or sockets behind fast primaries), and <see cref="StopAsync"/> aborts the running ones and waits for them.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Design", "CA1001", Justification = "Lives as long as its server; a CancellationTokenSource without a timer holds nothing to release.")]
internal sealed class MirrorDispatcher
{
    /// <summary>Mirrors running at once per server. Each holds at most one upstream connection and one pooled copy of
    /// its request (head plus at most <see cref="MaxBufferedBody"/>), so the cap bounds both to a few MiB.</summary>
    public const int MaxInFlight = 64;

    /// <summary>The largest request body that is read whole to be copied; larger or chunked bodies are streamed to the
    /// primary only and not mirrored (Envoy too buffers a shadowed body, up to a per-route buffer limit).</summary>
    public const int MaxBufferedBody = 64 * 1024;

    /// <summary>Added to the mirror cluster's connect timeout to give each copy its deadline. Envoy times a shadow by
    /// the route's timeout, which an Istio route leaves unset; a fixed bound keeps a silent mirror from holding a slot
    /// forever.</summary>
    public static readonly TimeSpan ResponseDeadline = TimeSpan.FromSeconds(15);

    private readonly CancellationTokenSource _stopping = new();
    private readonly ProxyStatistics _statistics;
    private TaskCompletionSource? _drained;
    private volatile bool _stopped;
    private int _inFlight;

    public MirrorDispatcher(ProxyStatistics statistics)
    {
        _statistics = statistics;
    }

    /// <summary>Cancelled when the server stops: every running mirror aborts its upstream connection.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Takes a slot for one copy; false (and counted as dropped) over the cap or after stop.</summary>
    public bool TryAdmit()
    {
        if (!_stopped)
        {
            if (Interlocked.Increment(ref _inFlight) <= MaxInFlight && !_stopped)
            {
                return true;
            }

            Release();
        }

        Interlocked.Increment(ref _statistics.MirrorRequestsDropped);
        return false;
    }

    /// <summary>Gives back a slot taken by <see cref="TryAdmit"/>.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _stopped)
        {
            Volatile.Read(ref _drained)?.TrySetResult();
        }
    }

    /// <summary>Refuses new copies, aborts the running ones and completes when the last has released its slot.</summary>
    public Task StopAsync()
    {
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Publish the flag and the completion before reading the count (the exchange is a full fence): a Release that
        // brings the count to zero either sees both, or ran before our read and we see zero.
        _stopped = true;
        Interlocked.Exchange(ref _drained, drained);
        _stopping.Cancel();
        if (Volatile.Read(ref _inFlight) == 0)
        {
            drained.TrySetResult();
        }

        return drained.Task;
    }
}
