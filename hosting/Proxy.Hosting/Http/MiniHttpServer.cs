using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Proxy.Protocols.Http1;

namespace Proxy.Hosting.Http;

/// <summary>
/// The small HTTP/1.1 server behind <see cref="EchoServer"/> and the admin endpoint: one accept loop, one task per
/// connection, keep-alive and pipelining, a synchronous handler per request. It reads through a PipeReader over a
/// NetworkStream, which is fine for a demo upstream and an admin port; it is not the proxy's data path.
/// </summary>
internal sealed class MiniHttpServer : IAsyncDisposable
{
    private const int ListenBacklog = 512;

    private readonly IPEndPoint _endPoint;
    private readonly MiniHttpHandler _handler;
    private readonly Http1Parser _parser;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _connectionsLock = new();
    private readonly HashSet<Task> _connections = [];
    private Socket? _listenSocket;
    private Task _acceptLoop = Task.CompletedTask;
    private int _stopped;

    public MiniHttpServer(IPEndPoint endPoint, MiniHttpHandler handler, ILogger logger, Http1ParserLimits? limits = null)
    {
        _endPoint = endPoint;
        _handler = handler;
        _logger = logger;
        _parser = new Http1Parser(limits);
    }

    /// <summary>The bound address (port 0 resolved); null before <see cref="Start"/>.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>Binds and starts accepting. Throws <see cref="SocketException"/> when the address is taken.</summary>
    public IPEndPoint Start()
    {
        var socket = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (_endPoint.AddressFamily == AddressFamily.InterNetworkV6 && _endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(_endPoint);
            socket.Listen(ListenBacklog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _listenSocket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync(socket);
        return LocalEndPoint;
    }

    /// <summary>Stops accepting, closes every open connection and waits for their tasks.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listenSocket?.Dispose();
        await _acceptLoop.ConfigureAwait(false);

        Task[] connections;
        lock (_connectionsLock)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).ConfigureAwait(false);
        _stopping.Dispose();
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task AcceptLoopAsync(Socket listenSocket)
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await listenSocket.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException
                || (ex is SocketException && token.IsCancellationRequested))
            {
                return;
            }
            catch (SocketException ex)
            {
                // Transient accept failures (ECONNABORTED, EMFILE) must not end the server.
                HostingLog.AcceptFailed(_logger, ex);
                continue;
            }

            accepted.NoDelay = true;
            var connection = new MiniHttpConnection(accepted, _parser, _handler, _logger);
            var task = connection.RunAsync(token);
            lock (_connectionsLock)
            {
                _connections.Add(task);
            }

            _ = task.ContinueWith(
                static (t, state) =>
                {
                    var server = (MiniHttpServer)state!;
                    lock (server._connectionsLock)
                    {
                        server._connections.Remove(t);
                    }
                },
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }
}
