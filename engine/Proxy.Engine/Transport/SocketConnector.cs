using System.Net;
using System.Net.Sockets;
using Proxy.Engine.Config;

namespace Proxy.Engine.Transport;

/// <summary>Opens upstream connections with a connect timeout driven by the engine's <see cref="TimeProvider"/>.</summary>
internal static class SocketConnector
{
    // Linux's limits (net/ipv4/tcp.c): TCP_KEEPIDLE and TCP_KEEPINTVL at most 32767 s, TCP_KEEPCNT at most 127. Larger
    // values are clamped rather than failing every connect.
    private const int MaxKeepAliveSeconds = 32767;
    private const int MaxKeepAliveProbes = 127;

    /// <summary>Connects, or returns null with the reason when the connection could not be made in time.</summary>
    public static async ValueTask<(SocketConnection? Connection, SocketError Error)> ConnectAsync(
        EndPoint endPoint, TimeSpan timeout, TimeProvider timeProvider, TransportOptions options, TcpKeepAliveSettings? keepAlive,
        CancellationToken cancellationToken)
    {
        Socket socket;
        try
        {
            socket = CreateSocket(keepAlive);
        }
        catch (SocketException ex)
        {
            // An option the kernel refuses: Envoy fails the connect (503 UF) when a socket option cannot be set.
            return (null, ex.SocketErrorCode);
        }

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

    /// <summary>
    /// A TCP socket for an upstream connection: no Nagle delay and, when <paramref name="keepAlive"/> is set, keep-alive
    /// probes as Envoy's <c>upstream_connection_options.tcp_keepalive</c> sets them (SO_KEEPALIVE, then TCP_KEEPIDLE,
    /// TCP_KEEPINTVL and TCP_KEEPCNT for the fields given; the others keep the system's value). The options are set
    /// before the connect and stay with the connected socket.
    /// </summary>
    internal static Socket CreateSocket(TcpKeepAliveSettings? keepAlive)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            SetKeepAlive(socket, keepAlive);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return socket;
    }

    private static void SetKeepAlive(Socket socket, TcpKeepAliveSettings? keepAlive)
    {
        if (keepAlive is not null)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            if (keepAlive.Time is { } time)
            {
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, WholeSeconds(time));
            }

            if (keepAlive.Interval is { } interval)
            {
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, WholeSeconds(interval));
            }

            if (keepAlive.Probes is { } probes)
            {
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, Math.Clamp(probes, 1, MaxKeepAliveProbes));
            }
        }
    }

    /// <summary>The kernel takes whole seconds, at least 1 (Envoy's fields are uint32 seconds).</summary>
    private static int WholeSeconds(TimeSpan value) => (int)Math.Clamp(value.TotalSeconds, 1, MaxKeepAliveSeconds);
}
