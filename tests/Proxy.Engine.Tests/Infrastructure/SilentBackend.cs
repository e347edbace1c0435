using System.Net;
using System.Net.Sockets;

namespace Proxy.Engine.Tests.Infrastructure;

/// <summary>An upstream that accepts connections and reads everything sent to it but never answers: the upstream that
/// hangs. Counts the connections it has open and the bytes it received.</summary>
public sealed class SilentBackend : IAsyncDisposable
{
    private readonly LoopbackServer _server;
    private int _openConnections;
    private long _bytesReceived;

    public SilentBackend()
    {
        _server = new LoopbackServer(ServeAsync);
    }

    public IPEndPoint EndPoint => _server.EndPoint;

    public int ConnectionCount => _server.ConnectionCount;

    public int OpenConnections => Volatile.Read(ref _openConnections);

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task ServeAsync(Socket socket, int id, CancellationToken stopping)
    {
        Interlocked.Increment(ref _openConnections);
        try
        {
            var buffer = new byte[4096];
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, stopping);
                if (read == 0)
                {
                    return;
                }

                Interlocked.Add(ref _bytesReceived, read);
            }
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            socket.Dispose();
            Interlocked.Decrement(ref _openConnections);
        }
    }
}
