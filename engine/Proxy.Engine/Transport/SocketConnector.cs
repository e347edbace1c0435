using System.Net;
using System.Net.Sockets;

namespace Proxy.Engine.Transport;

/// <summary>Opens upstream connections with a connect timeout driven by the engine's <see cref="TimeProvider"/>.</summary>
internal static class SocketConnector
{
    /// <summary>Connects, or returns null with the reason when the connection could not be made in time.</summary>
    public static async ValueTask<(SocketConnection? Connection, SocketError Error)> ConnectAsync(
        EndPoint endPoint, TimeSpan timeout, TimeProvider timeProvider, TransportOptions options, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeoutCts = timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan
            ? new CancellationTokenSource(timeout, timeProvider)
            : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
        try
        {
            await socket.ConnectAsync(endPoint, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            return (null, cancellationToken.IsCancellationRequested ? SocketError.OperationAborted : SocketError.TimedOut);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            return (null, ex.SocketErrorCode);
        }

        var connection = new SocketConnection(socket, options);
        connection.Start();
        return (connection, SocketError.Success);
    }
}
