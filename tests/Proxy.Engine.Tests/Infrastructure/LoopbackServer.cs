using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Proxy.Engine.Tests.Infrastructure;

/// <summary>
/// The accept side every test upstream shares: a listener on 127.0.0.1:0, each accepted socket served on the pool by
/// <c>serve(socket, connectionId, stopping)</c>, and a disposal that stops accepting, closes every socket and waits for
/// the accept loop.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Func<Socket, int, CancellationToken, Task> _serve;
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly Task _acceptLoop;
    private int _connections;

    public LoopbackServer(Func<Socket, int, CancellationToken, Task> serve)
    {
        _serve = serve;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(128);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Connections accepted so far.</summary>
    public int ConnectionCount => Volatile.Read(ref _connections);

    /// <summary>Cancelled when the server is disposed.</summary>
    public CancellationToken Stopping => _cts.Token;

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _listener.Dispose();
        foreach (var s in _sockets)
        {
            s.Dispose();
        }

        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }

        _cts.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_cts.Token);
            }
            catch (Exception) when (_cts.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            var id = Interlocked.Increment(ref _connections);
            _sockets.Add(socket);
            var token = _cts.Token;
            _ = Task.Run(() => _serve(socket, id, token));
        }
    }
}
