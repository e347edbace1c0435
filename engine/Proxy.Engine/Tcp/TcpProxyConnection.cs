using System.Buffers;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Proxy.Engine.Http;
using Proxy.Engine.Routing;
using Proxy.Engine.Transport;
using Proxy.Engine.Upstream;

namespace Proxy.Engine.Tcp;

/// <summary>
/// An L4 connection (Envoy's tcp_proxy): one upstream connection per downstream connection, bytes pumped pipe to pipe
/// both ways until both sides have closed.
/// </summary>
/// <remarks>
/// Half-close: when one side sends FIN, the other side's write half is closed (FIN) and the opposite direction keeps
/// flowing until its own FIN. A reset on either side resets the other. The cluster's idle timeout (Istio
/// connectionPool.tcp.idleTimeout, default 1 h) closes both when no byte moved either way for that long; the server's
/// heartbeat checks it, so an idle connection costs no timer.
/// </remarks>
internal sealed partial class TcpProxyConnection : IConnectionHandler, IDisposable
{
    private readonly ITransportConnection _downstream;
    private readonly ProxyContext _context;
    private readonly CancellationTokenSource _aborted = new();
    private UpstreamConnection? _upstream;
    private TimeSpan _idleTimeout;
    private long _lastActivity;
    private int _timedOut;

    // What the connection came to, for its access-log line (Envoy logs a TCP connection once, when it closes).
    private readonly string? _serverName;
    private long _bytesReceived;
    private long _bytesSent;

    /// <param name="downstream">The client connection.</param>
    /// <param name="context">What every connection of the server shares.</param>
    /// <param name="serverName">The SNI of a TLS passthrough connection, or null (the access log's requested server name).</param>
    public TcpProxyConnection(ITransportConnection downstream, ProxyContext context, string? serverName = null)
    {
        _downstream = downstream;
        _context = context;
        _serverName = serverName;
    }

    /// <summary>L4 connections are not closed by a drain; the stop deadline ends them (as Envoy's drain does).</summary>
    public void Drain()
    {
    }

    public void Abort()
    {
        Volatile.Read(ref _upstream)?.Abort();
        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void OnHeartbeat(long now)
    {
        var upstream = Volatile.Read(ref _upstream);
        var timeout = _idleTimeout;
        if (upstream is null || timeout <= TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        if (_context.TimeProvider.GetElapsedTime(Volatile.Read(ref _lastActivity), now) >= timeout
            && Interlocked.Exchange(ref _timedOut, 1) == 0)
        {
            Interlocked.Increment(ref _context.Statistics.TcpIdleTimeouts);
            upstream.Abort();
            _downstream.Abort();
        }
    }

    /// <summary>Pumps until both directions end. The owner closes the downstream transport afterwards.</summary>
    public async Task RunAsync(TcpRoute? route)
    {
        var stats = _context.Statistics;
        Interlocked.Increment(ref stats.TcpConnectionsOpened);
        var started = _context.TimeProvider.GetTimestamp();
        var flags = ResponseFlags.None;
        ClusterState? cluster = null;
        EndpointState? endpoint = null;
        System.Net.IPEndPoint? upstreamLocal = null;
        try
        {
            cluster = route?.PickCluster()?.State;
            if (route is null || cluster is null)
            {
                Interlocked.Increment(ref stats.TcpNoRoute);
                flags = ResponseFlags.NoRoute;
                return;
            }

            endpoint = cluster.PickEndpoint(new LoadBalancerContext(null, _downstream.RemoteEndPoint, _downstream.LocalEndPoint)).Endpoint;
            if (endpoint is null)
            {
                Interlocked.Increment(ref stats.TcpUpstreamConnectFailures);
                flags = ResponseFlags.NoHealthyUpstream;
                return;
            }

            endpoint.OnRequestStarted();
            try
            {
                // Envoy's tcp_proxy refuses the connection at once when the cluster's MaxConnections is full (flag UO):
                // the owner then closes the client's connection. The pool counts it (TcpConnectionOverflows).
                var (upstream, failure, error) = await endpoint.Pool.LeaseTunnelAsync(cluster, _context.Transport, _aborted.Token).ConfigureAwait(false);
                if (upstream is null)
                {
                    if (failure == LeaseFailure.Overflow)
                    {
                        Log.Overflow(_context.Logger, cluster.Config.Name);
                        flags = ResponseFlags.UpstreamOverflow;
                        return;
                    }

                    flags = ResponseFlags.UpstreamConnectionFailure;
                    Interlocked.Increment(ref stats.TcpUpstreamConnectFailures);
                    Log.ConnectFailed(_context.Logger, endpoint, error);
                    return;
                }

                _idleTimeout = cluster.Config.IdleTimeout;
                Volatile.Write(ref _lastActivity, _context.TimeProvider.GetTimestamp());
                Volatile.Write(ref _upstream, upstream);
                upstreamLocal = upstream.Transport.LocalEndPoint;
                try
                {
                    await PumpBothWaysAsync(upstream.Transport).ConfigureAwait(false);
                }
                finally
                {
                    // Disposal frees the cluster's connection slot, whatever ended the pump.
                    Volatile.Write(ref _upstream, null);
                    await upstream.DisposeAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                endpoint.OnRequestFinished();
            }
        }
        finally
        {
            Interlocked.Increment(ref stats.TcpConnectionsClosed);
            LogConnection(started, flags, cluster, endpoint, upstreamLocal);
            Dispose();
        }
    }

    /// <summary>The connection's access-log line: Envoy's TCP form, no request fields (<c>"- - -" 0</c>).</summary>
    private void LogConnection(long started, ResponseFlags flags, ClusterState? cluster, EndpointState? endpoint, System.Net.IPEndPoint? upstreamLocal)
    {
        if (_context.Options.AccessLog is not IRequestLogSink log)
        {
            return;
        }

        var duration = _context.TimeProvider.GetElapsedTime(started);
        var record = new RequestRecord(0, flags, null, endpoint, endpoint is null ? 0 : 1);
        log.OnRequestCompleted(record, new RequestLogFields
        {
            IsTcp = true,
            StartTime = _context.TimeProvider.GetUtcNow() - duration,
            Duration = duration,
            BytesReceived = Volatile.Read(ref _bytesReceived),
            BytesSent = Volatile.Read(ref _bytesSent),
            UpstreamCluster = cluster?.Config.Name,
            UpstreamLocalAddress = upstreamLocal,
            DownstreamLocalAddress = _downstream.LocalEndPoint,
            DownstreamRemoteAddress = _downstream.RemoteEndPoint,
            RequestedServerName = _serverName,
        });
    }

    public void Dispose() => _aborted.Dispose();

    private async Task PumpBothWaysAsync(ITransportConnection upstream)
    {
        var toUpstream = PumpAsync(_downstream, upstream, fromClient: true);
        var toClient = PumpAsync(upstream, _downstream, fromClient: false);

        // Whichever direction fails first resets both sides; a clean end waits for the other direction.
        var first = await Task.WhenAny(toUpstream, toClient).ConfigureAwait(false);
        if (!await first.ConfigureAwait(false))
        {
            upstream.Abort();
            _downstream.Abort();
        }

        var second = first == toUpstream ? toClient : toUpstream;
        if (!await second.ConfigureAwait(false))
        {
            upstream.Abort();
            _downstream.Abort();
        }
    }

    /// <summary>Copies <paramref name="source"/>'s input to <paramref name="destination"/>'s output until the
    /// source's end of stream, then half-closes the destination. Returns false when the copy broke (a reset on
    /// either side, or an abort).</summary>
    private async Task<bool> PumpAsync(ITransportConnection source, ITransportConnection destination, bool fromClient)
    {
        var reader = source.Input;
        var writer = destination.Output;
        var timeProvider = _context.TimeProvider;
        var stats = _context.Statistics;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    foreach (var segment in buffer)
                    {
                        writer.Write(segment.Span);
                    }

                    Interlocked.Add(ref fromClient ? ref stats.TcpBytesReceived : ref stats.TcpBytesSent, buffer.Length);
                    Interlocked.Add(ref fromClient ? ref _bytesReceived : ref _bytesSent, buffer.Length);
                    Volatile.Write(ref _lastActivity, timeProvider.GetTimestamp());
                    reader.AdvanceTo(buffer.End);
                    var flush = await writer.FlushAsync().ConfigureAwait(false);
                    if (flush.IsCompleted || flush.IsCanceled)
                    {
                        return false;
                    }
                }
                else
                {
                    reader.AdvanceTo(buffer.End);
                }

                if (result.IsCanceled)
                {
                    return false;
                }

                if (result.IsCompleted)
                {
                    if (source.IsAborted || source.ReceiveError != SocketError.Success)
                    {
                        return false;
                    }

                    // The source sent FIN: pass the half-close on.
                    await writer.CompleteAsync().ConfigureAwait(false);
                    return true;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // The pipe was completed under us by an abort.
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(30, LogLevel.Debug, "TCP connect to {Endpoint} failed: {Error}")]
        public static partial void ConnectFailed(ILogger logger, EndpointState endpoint, SocketError error);

        [LoggerMessage(31, LogLevel.Debug, "TCP connection refused: a circuit breaker of cluster {Cluster} is full (UO)")]
        public static partial void Overflow(ILogger logger, string cluster);
    }
}
