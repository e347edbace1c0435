using System.ComponentModel;
using System.Net.Security;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using Proxy.Engine.Config;
using Proxy.Engine.Http;
using Proxy.Engine.Routing;
using Proxy.Engine.Tcp;
using Proxy.Engine.Tls;
using Proxy.Engine.Transport;
using Proxy.Protocols.Tls;

namespace Proxy.Engine;

/// <summary>
/// One accepted connection from start to close: decides what it speaks from its listener (HTTP, TCP, or TLS, where
/// the ClientHello's SNI picks a filter chain that terminates or passes through), hands it to that handler, and closes
/// it when the handler is done. The unit the server tracks for drain, abort and the heartbeat.
/// </summary>
/// <remarks>
/// TLS, step by step:
/// Step 1: read until the ClientHello is complete, without consuming it (it stays in the socket's input pipe).
/// Step 2: pick the chain by SNI; none -> close (Envoy: no matching filter chain).
/// Step 3a: passthrough -> route by SNI and pump the untouched bytes, hello first.
/// Step 3b: terminate -> SslStream reads the hello from the pipe and handshakes; the decrypted stream is served as
///          HTTP/1.1 or pumped as TCP.
/// Steps 1 and 3b share one deadline, the listener's handshake timeout counted from accept, so a silent client cannot
/// hold a slot. The server's heartbeat enforces it (no timer per connection) by aborting the socket.
/// </remarks>
internal sealed partial class DownstreamConnection : IThreadPoolWorkItem
{
    private readonly SocketConnection _socket;
    private readonly ListenerState _listener;
    private readonly ProxyContext _context;
    private readonly ConnectionTracker _tracker;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITransportConnection _transport;
    private IConnectionHandler? _handler;
    private readonly long _acceptedAt;
    private volatile bool _draining;
    private bool _handshaking;
    private int _handshakeTimedOut;

    public DownstreamConnection(SocketConnection socket, ListenerState listener, ProxyContext context, ConnectionTracker tracker)
    {
        _socket = socket;
        _transport = socket;
        _listener = listener;
        _context = context;
        _tracker = tracker;
        _acceptedAt = context.TimeProvider.GetTimestamp();

        // From accept, not from when the pool first runs the connection: the deadline must not depend on scheduling.
        _handshaking = listener.Config.Protocol == ListenerProtocol.Tls;
    }

    /// <summary>Completes when the connection is closed; exists from construction, so a stop that races the first
    /// dispatch still waits for it.</summary>
    public Task Completion => _completion.Task;

    public void Execute() => _ = RunAsync();

    public void Drain()
    {
        _draining = true;
        Volatile.Read(ref _handler)?.Drain();
    }

    public void Abort()
    {
        _socket.Abort();
        Volatile.Read(ref _handler)?.Abort();
    }

    public void OnHeartbeat(long now)
    {
        // The handshake deadline, ClientHello included, counted from accept (Envoy: 10 s by default).
        if (Volatile.Read(ref _handshaking)
            && _context.TimeProvider.GetElapsedTime(_acceptedAt, now) >= _listener.Config.TlsHandshakeTimeout
            && Interlocked.CompareExchange(ref _handshakeTimedOut, 1, 0) == 0)
        {
            // Counted here, once: whatever the abort then surfaces as (a completed read, an exception from the
            // pipe or from SslStream) must not decide whether the timeout is seen.
            Interlocked.Increment(ref _context.Statistics.DownstreamTlsHandshakeTimeouts);
            _socket.Abort();
            return;
        }

        Volatile.Read(ref _handler)?.OnHeartbeat(now);
    }

    /// <summary>Leaves the handshake phase unless its deadline already fired (then the socket is aborted).</summary>
    private bool EndHandshakePhase()
    {
        Volatile.Write(ref _handshaking, false);
        return Interlocked.CompareExchange(ref _handshakeTimedOut, 2, 0) == 0;
    }

    private async Task RunAsync()
    {
        try
        {
            var config = _listener.Config;
            switch (config.Protocol)
            {
                case ListenerProtocol.Http:
                    await ServeHttpAsync(config.Router!, https: false).ConfigureAwait(false);
                    break;
                case ListenerProtocol.Tcp:
                    await ServeTcpAsync(config.TcpRouter!, serverName: null).ConfigureAwait(false);
                    break;
                default:
                    await ServeTlsAsync().ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex)
        {
            if (Volatile.Read(ref _handshakeTimedOut) != 1)
            {
                // After the handshake deadline's abort any exception is expected, and already counted.
                Log.ConnectionFailed(_context.Logger, ex);
            }

            _transport.Abort();
        }
        finally
        {
            try
            {
                await _transport.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // A close that fails must still release the slot, or a stop would wait for it forever.
                Log.ConnectionFailed(_context.Logger, ex);
                _socket.Abort();
            }

            _tracker.Remove(this);
            _completion.TrySetResult();
        }
    }

    private Task ServeHttpAsync(IHttpRouter router, bool https, string? serverName = null)
    {
        var handler = new Http1ProxyConnection(_transport, router, https, _listener.Port, _listener.Config, _context, serverName);
        SetHandler(handler);
        return handler.RunAsync();
    }

    private Task ServeTcpAsync(ITcpRouter router, string? serverName)
    {
        var handler = new TcpProxyConnection(_transport, _context, serverName);
        SetHandler(handler);
        var route = router.Route(new TcpRouteContext(serverName, _socket.LocalEndPoint, _socket.RemoteEndPoint));
        return handler.RunAsync(route);
    }

    /// <summary>Publishes the handler; a drain that came first is passed on (both orders end drained).</summary>
    private void SetHandler(IConnectionHandler handler)
    {
        Volatile.Write(ref _handler, handler);
        if (_draining)
        {
            handler.Drain();
        }
    }

    private async Task ServeTlsAsync()
    {
        var stats = _context.Statistics;

        // Step 1
        var hello = new ClientHelloInfo();
        var input = _socket.Input;
        while (true)
        {
            var read = await input.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            var status = ClientHelloReader.TryRead(buffer, hello);
            if (status == ClientHelloStatus.NeedMoreData)
            {
                if (read.IsCompleted || read.IsCanceled)
                {
                    input.AdvanceTo(buffer.End);
                    if (Volatile.Read(ref _handshakeTimedOut) == 0 && !buffer.IsEmpty)
                    {
                        // Closed mid-hello. A connection closed before any byte (a port probe) is not an error.
                        Interlocked.Increment(ref stats.DownstreamTlsBadHello);
                    }

                    return;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            // Leave the hello unread: the handshake or the passthrough upstream needs it.
            input.AdvanceTo(buffer.Start);
            if (status == ClientHelloStatus.Complete)
            {
                break;
            }

            Interlocked.Increment(ref status == ClientHelloStatus.NotTls ? ref stats.DownstreamTlsNotTls : ref stats.DownstreamTlsBadHello);
            Log.TlsHelloRejected(_context.Logger, _listener.Config.Name, status);
            return;
        }

        // Step 2
        var chain = _listener.TlsChains!.Select(hello.ServerName);
        if (chain is null)
        {
            Interlocked.Increment(ref stats.DownstreamTlsNoFilterChain);
            return;
        }

        var serverName = hello.GetServerNameString();
        var tls = chain.Tls;
        if (tls is null)
        {
            // Step 3a
            if (!EndHandshakePhase())
            {
                return; // the deadline fired and counted
            }

            await ServeTcpAsync(chain.Config.TcpRouter!, serverName).ConfigureAwait(false);
            return;
        }

        // Step 3b
        var stream = new DuplexPipeStream(_socket);
        var ssl = new SslStream(stream, leaveInnerStreamOpen: true);
        try
        {
            await ssl.AuthenticateAsServerAsync(tls.GetOptions()).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or Win32Exception or OperationCanceledException
            or ObjectDisposedException or InvalidOperationException)
        {
            // The last two: the deadline aborted the socket under the handshake.
            await ssl.DisposeAsync().ConfigureAwait(false);
            if (Volatile.Read(ref _handshakeTimedOut) == 0)
            {
                Interlocked.Increment(ref stats.DownstreamTlsHandshakeFailures);
                Log.TlsHandshakeFailed(_context.Logger, _listener.Config.Name, serverName, ex.Message);
            }

            return;
        }

        if (!EndHandshakePhase())
        {
            // The deadline struck (and counted) just as the handshake finished; the socket is already aborted.
            await ssl.DisposeAsync().ConfigureAwait(false);
            return;
        }

        Interlocked.Increment(ref stats.DownstreamTlsHandshakes);
        var connection = new TlsConnection(_socket, ssl, stream, _context.Transport);
        connection.Start();
        _transport = connection;
        if (chain.Config.Router is { } router)
        {
            await ServeHttpAsync(router, https: true, serverName).ConfigureAwait(false);
        }
        else
        {
            await ServeTcpAsync(chain.Config.TcpRouter!, serverName).ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2, LogLevel.Warning, "Connection failed unexpectedly")]
        public static partial void ConnectionFailed(ILogger logger, Exception exception);

        [LoggerMessage(20, LogLevel.Debug, "Listener {Listener}: ClientHello rejected ({Status})")]
        public static partial void TlsHelloRejected(ILogger logger, string listener, ClientHelloStatus status);

        [LoggerMessage(21, LogLevel.Debug, "Listener {Listener}: TLS handshake for '{ServerName}' failed: {Reason}")]
        public static partial void TlsHandshakeFailed(ILogger logger, string listener, string? serverName, string reason);
    }
}
