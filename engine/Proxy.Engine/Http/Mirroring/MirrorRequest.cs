using System.Buffers;
using Microsoft.Extensions.Logging;
using Proxy.Engine.Upstream;

namespace Proxy.Engine.Http.Mirroring;

/// <summary>
/// One mirrored copy of a request (Envoy's shadow): its head and body rendered into a pooled buffer while the primary's
/// request is still parsed, then sent on the thread pool to an endpoint of the mirror cluster through that endpoint's
/// pool, its response read and discarded, the connection returned to the pool when the exchange ended cleanly. Nothing
/// of it reaches the primary: failures are counted and logged at debug.
/// </summary>
/// <remarks>
/// Bounded three ways: a slot of the <see cref="MirrorDispatcher"/> (taken before construction, released at the end),
/// a deadline (the cluster's connect timeout plus <see cref="MirrorDispatcher.ResponseDeadline"/>, on the server's
/// clock), and the server's stop, both of which abort the upstream connection so every wait ends.
/// </remarks>
internal sealed partial class MirrorRequest : IThreadPoolWorkItem, IBufferWriter<byte>
{
    private readonly MirrorDispatcher _dispatcher;
    private readonly ClusterState _cluster;
    private readonly EndpointState _endpoint;
    private readonly ProxyContext _context;
    private readonly bool _headRequest;
    private byte[] _buffer;
    private int _length;

    public MirrorRequest(MirrorDispatcher dispatcher, ClusterState cluster, EndpointState endpoint, ProxyContext context, bool headRequest, int sizeHint)
    {
        _dispatcher = dispatcher;
        _cluster = cluster;
        _endpoint = endpoint;
        _context = context;
        _headRequest = headRequest;
        _buffer = ArrayPool<byte>.Shared.Rent(sizeHint);
    }

    public void Advance(int count) => _length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_length);
    }

    public void Execute() => _ = RunAsync();

    private void Reserve(int sizeHint)
    {
        var needed = _length + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }

    private static readonly TimeSpan MaxConnectPart = TimeSpan.FromDays(1);

    private async Task RunAsync()
    {
        var completed = false;
        _endpoint.OnRequestStarted();
        try
        {
            // Bounded whatever the cluster's connect timeout (Istio sets no upper limit, and a timer takes at most
            // about 49 days): a copy never holds its slot longer than a day.
            var connectTimeout = _cluster.Config.ConnectTimeout;
            var deadline = connectTimeout > TimeSpan.Zero && connectTimeout < MaxConnectPart
                ? connectTimeout + MirrorDispatcher.ResponseDeadline
                : connectTimeout > TimeSpan.Zero ? MaxConnectPart : MirrorDispatcher.ResponseDeadline;
            using var timeout = new CancellationTokenSource(deadline, _context.TimeProvider);
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _dispatcher.Stopping);

            // A reused connection the upstream closed while idle fails before any response byte: the copy is in our
            // buffer, so it is sent once more on a fresh connection, as the primary does. Each attempt is an upstream
            // request of the mirror cluster under its circuit breakers (Envoy sends a shadow through the router like
            // any request); an overflow fails the copy.
            for (var attempt = 0; attempt < 2 && !completed; attempt++)
            {
                if (!_cluster.TryStartRequest())
                {
                    break;
                }

                bool retry;
                try
                {
                    MirrorResponseStatus status;
                    (status, retry) = await SendOnceAsync(fresh: attempt > 0, cancel.Token).ConfigureAwait(false);
                    completed = status == MirrorResponseStatus.Completed;
                }
                finally
                {
                    _cluster.FinishRequest();
                }

                if (!retry)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            // Fire and forget: nothing may escape into the primary or go unobserved.
            Log.MirrorFailed(_context.Logger, _endpoint, ex.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
            _endpoint.OnRequestFinished();
            if (!completed)
            {
                Interlocked.Increment(ref _context.Statistics.MirrorRequestsFailed);
            }

            _dispatcher.Release();
        }
    }

    /// <summary>One attempt; Retry says the request may be sent again (a reused connection closed before any byte).</summary>
    private async ValueTask<(MirrorResponseStatus Status, bool Retry)> SendOnceAsync(bool fresh, CancellationToken cancel)
    {
        var timeProvider = _context.TimeProvider;
        var pool = _endpoint.Pool;
        var (upstream, failure, error) = await pool.LeaseAsync(_cluster, _context.Transport, fresh, cancel).ConfigureAwait(false);
        if (upstream is null)
        {
            Log.MirrorLeaseFailed(_context.Logger, _endpoint, failure, error);
            return (MirrorResponseStatus.Failed, false);
        }

        var status = MirrorResponseStatus.Failed;
        var keepAlive = false;
        using (cancel.UnsafeRegister(static s => ((UpstreamConnection)s!).Abort(), upstream))
        {
            var output = upstream.Transport.Output;
            output.Write(_buffer.AsSpan(0, _length));
            var flush = await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            if (!flush.IsCompleted && !flush.IsCanceled)
            {
                (status, keepAlive) = await MirrorResponse.DiscardAsync(upstream.Transport.Input, _context.Parser, _headRequest).ConfigureAwait(false);
            }
        }

        if (status == MirrorResponseStatus.Completed && keepAlive && !upstream.Transport.IsAborted && !cancel.IsCancellationRequested)
        {
            pool.Return(upstream, timeProvider.GetTimestamp());
            return (status, false);
        }

        var retry = status == MirrorResponseStatus.ClosedBeforeAnyByte && upstream.IsReused && !upstream.Transport.IsAborted
            && !cancel.IsCancellationRequested;
        upstream.Abort();
        await upstream.DisposeAsync().ConfigureAwait(false);
        return (status, retry);
    }

    private static partial class Log
    {
        [LoggerMessage(60, LogLevel.Debug, "Mirror copy to {Endpoint} failed: {Reason}")]
        public static partial void MirrorFailed(ILogger logger, EndpointState endpoint, string reason);

        [LoggerMessage(61, LogLevel.Debug, "Mirror copy to {Endpoint} got no connection: {Failure} ({Error})")]
        public static partial void MirrorLeaseFailed(ILogger logger, EndpointState endpoint, LeaseFailure failure, System.Net.Sockets.SocketError error);
    }
}
