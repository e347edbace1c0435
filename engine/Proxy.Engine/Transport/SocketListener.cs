using System.Net;
using System.Net.Sockets;

namespace Proxy.Engine.Transport;

/// <summary>One bound address and its accept loop. Each accepted socket is handed to the connection callback.</summary>
internal sealed class SocketListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Func<Socket, SocketListener, bool> _onAccepted;
    private readonly CancellationTokenSource _stopping = new();
    private Task _acceptLoop = Task.CompletedTask;

    private SocketListener(Socket socket, string name, Func<Socket, SocketListener, bool> onAccepted)
    {
        _socket = socket;
        Name = name;
        _onAccepted = onAccepted;
        EndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    public string Name { get; }

    /// <summary>The bound address (port resolved if 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Binds and listens. Throws <see cref="SocketException"/> if the address cannot be bound.</summary>
    public static SocketListener Bind(string name, IPEndPoint endPoint, Func<Socket, SocketListener, bool> onAccepted)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            // Lets a restarted gateway bind while old connections sit in TIME_WAIT (Kestrel does the same on Unix).
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endPoint);
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new SocketListener(socket, name, onAccepted);
    }

    public void Start() => _acceptLoop = AcceptLoopAsync();

    /// <summary>Stops accepting; connections already accepted are not touched.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                // The client gave up between SYN and accept; nothing to serve.
                continue;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted)
            {
                return;
            }

            accepted.NoDelay = true;
            if (!_onAccepted(accepted, this))
            {
                accepted.Dispose();
            }
        }
    }
}
