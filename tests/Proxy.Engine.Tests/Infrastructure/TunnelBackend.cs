using System.Net;
using System.Net.Sockets;

namespace Proxy.Engine.Tests.Infrastructure;

/// <summary>Answers one upgrade request with 101 and then echoes every byte it receives.</summary>
public sealed class TunnelBackend : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Task _serve;

    public TunnelBackend()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(8);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _serve = ServeAsync();
    }

    public IPEndPoint EndPoint { get; }

    public string ReceivedHead { get; private set; } = "";

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        try
        {
            await _serve.WaitAsync(TestTimeouts.Default);
        }
        catch (Exception)
        {
        }
    }

    private async Task ServeAsync()
    {
        using var socket = await _listener.AcceptAsync();
        await using var stream = new NetworkStream(socket);
        var reader = new ByteReader(stream);
        ReceivedHead = await reader.ReadHeadAsync() ?? "";
        await stream.WriteAsync("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"u8.ToArray());
        var buffer = new byte[1024];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, n));
        }
    }
}
