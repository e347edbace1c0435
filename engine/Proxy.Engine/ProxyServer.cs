using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Proxy.Engine.Config;
using Proxy.Engine.Transport;
using Proxy.Engine.Upstream;

namespace Proxy.Engine;

/// <summary>
/// The gateway engine: binds the listeners of a <see cref="ProxyConfig"/>, serves them, and stops gracefully.
/// Thread-safe; one instance per gateway.
/// </summary>
public sealed partial class ProxyServer : IAsyncDisposable
{
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    private readonly ProxyContext _context;
    private readonly ConnectionTracker _connections = new();
    private readonly Dictionary<string, ListenerState> _listeners = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private ProxyConfig? _config;
    private ITimer? _heartbeat;
    private volatile bool _stopping;
    private bool _drainSent;
    private Task? _stopTask;

    public ProxyServer(ProxyServerOptions? options = null)
    {
        Options = options ?? new ProxyServerOptions();
        _context = new ProxyContext(Options);
    }

    public ProxyServerOptions Options { get; }

    /// <summary>The active configuration, or null before <see cref="StartAsync"/>.</summary>
    public ProxyConfig? Config => Volatile.Read(ref _config);

    /// <summary>Engine counters (TLS handshakes and errors, L4 connections and bytes).</summary>
    public ProxyStatistics Statistics => _context.Statistics;

    /// <summary>Whether a stop has told every open connection to drain (tests wait for it).</summary>
    internal bool DrainSent => Volatile.Read(ref _drainSent);

    /// <summary>Downstream connections currently open.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Mirrored copies of requests still in flight (tests wait for 0).</summary>
    internal int MirrorsInFlight => _context.Mirrors.InFlight;

    /// <summary>
    /// Binds every listener of <paramref name="config"/> and starts accepting. If any address cannot be bound, none
    /// stays bound and the <see cref="SocketException"/> is rethrown.
    /// </summary>
    public Task StartAsync(ProxyConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (_config is not null)
            {
                throw new InvalidOperationException("The server is already started.");
            }

            foreach (var listenerConfig in config.Listeners)
            {
                listenerConfig.Validate();
            }

            AttachClusterState(config);
            var bound = new List<ListenerState>(config.Listeners.Count);
            try
            {
                foreach (var listenerConfig in config.Listeners)
                {
                    var socket = SocketListener.Bind(listenerConfig.Name, listenerConfig.EndPoint, OnAccepted);
                    bound.Add(new ListenerState(listenerConfig, socket));
                }
            }
            catch
            {
                foreach (var listener in bound)
                {
                    listener.Socket.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }

                throw;
            }

            foreach (var listener in bound)
            {
                _listeners.Add(listener.Config.Name, listener);
                listener.Socket.Start();
                Log.ListenerStarted(_context.Logger, listener.Config.Name, listener.Socket.EndPoint);
            }

            Volatile.Write(ref _config, config);
            _heartbeat = _context.TimeProvider.CreateTimer(static s => ((ProxyServer)s!).OnHeartbeat(), this, HeartbeatInterval, HeartbeatInterval);
        }

        return Task.CompletedTask;
    }

    /// <summary>The address a listener is bound to (resolves port 0), or null if no such listener.</summary>
    public IPEndPoint? GetBoundEndPoint(string listenerName)
    {
        lock (_lock)
        {
            return _listeners.TryGetValue(listenerName, out var listener) ? listener.Socket.EndPoint : null;
        }
    }

    /// <summary>
    /// Graceful stop: listeners stop accepting, idle keep-alive connections close, in-flight requests finish and
    /// their connections close after the response. When <paramref name="cancellationToken"/> fires first, whatever
    /// is still open is aborted.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _stopTask ??= StopCoreAsync(cancellationToken);
            return _stopTask;
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await StopAsync(cts.Token).ConfigureAwait(false);
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        ListenerState[] listeners;
        lock (_lock)
        {
            listeners = [.. _listeners.Values];
            _listeners.Clear();
        }

        foreach (var listener in listeners)
        {
            await listener.Socket.DisposeAsync().ConfigureAwait(false);
        }

        _connections.DrainAll();
        Volatile.Write(ref _drainSent, true);
        var closed = _connections.WhenAllClosed();
        var cancelled = Task.Delay(Timeout.Infinite, cancellationToken);
        if (await Task.WhenAny(closed, cancelled).ConfigureAwait(false) != closed)
        {
            _connections.AbortAll();
            await _connections.WhenAllClosed().ConfigureAwait(false);
        }

        // Mirrors are fire and forget: copies still running once no connection is left are aborted, and their ends
        // awaited (they release pooled buffers and connections) for as long as the caller's token allows.
        try
        {
            await _context.Mirrors.StopAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        if (_heartbeat is not null)
        {
            await _heartbeat.DisposeAsync().ConfigureAwait(false);
        }

        if (Config is { } config)
        {
            foreach (var cluster in config.Clusters)
            {
                cluster.State?.CloseIdleConnections();
            }
        }
    }

    private bool OnAccepted(Socket socket, SocketListener socketListener)
    {
        if (_stopping)
        {
            return false;
        }

        ListenerState? listener;
        lock (_lock)
        {
            _listeners.TryGetValue(socketListener.Name, out listener);
        }

        if (listener is null)
        {
            return false;
        }

        var transport = new SocketConnection(socket, _context.Transport);
        transport.Start();
        var connection = new DownstreamConnection(transport, listener, _context, _connections);
        _connections.Add(connection);

        // Leave the accept loop at once: the connection's first read and everything after runs on the pool.
        ThreadPool.UnsafeQueueUserWorkItem(connection, preferLocal: false);
        return true;
    }

    private void AttachClusterState(ProxyConfig config)
    {
        foreach (var cluster in config.Clusters)
        {
            cluster.State ??= new ClusterState(cluster, _context.TimeProvider, _context.Statistics, _context.Logger);
        }
    }

    /// <summary>The one clock of the engine: idle upstream connections are swept here, not by a timer each.</summary>
    private void OnHeartbeat()
    {
        var config = Config;
        if (config is null || _stopping)
        {
            return;
        }

        var now = _context.TimeProvider.GetTimestamp();
        foreach (var cluster in config.Clusters)
        {
            cluster.State?.Sweep(now);
        }

        _connections.OnHeartbeat(now);
    }

    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Information, "Listener {Name} accepting on {EndPoint}")]
        public static partial void ListenerStarted(ILogger logger, string name, IPEndPoint endPoint);
    }
}
