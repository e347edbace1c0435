using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Proxy.Engine.Tests.Infrastructure;

/// <summary>
/// An L4 upstream: echoes every byte back, and after the client's FIN finishes echoing and closes its side. With a
/// certificate it speaks TLS and first sends a greeting line naming itself, so a passthrough test can tell which
/// backend its SNI reached from inside the TLS session.
/// </summary>
public sealed class EchoBackend : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly X509Certificate2? _certificate;
    private readonly string _name;
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly Task _acceptLoop;
    private int _connections;
    private int _closedConnections;

    public EchoBackend(string name = "echo", X509Certificate2? certificate = null)
    {
        _name = name;
        _certificate = certificate;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(128);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint { get; }

    public int ConnectionCount => Volatile.Read(ref _connections);

    /// <summary>Connections that ended (the echo finished after the peer's FIN, or the peer went away).</summary>
    public int ClosedConnections => Volatile.Read(ref _closedConnections);

    /// <summary>True when the last connection's client closed its side cleanly (FIN) before we closed ours.</summary>
    public ConcurrentQueue<bool> SawClientFin { get; } = new();

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

            Interlocked.Increment(ref _connections);
            _sockets.Add(socket);
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _cts.Token);
                await ssl.WriteAsync(Encoding.ASCII.GetBytes($"hello from {_name} sni={ssl.TargetHostName}\n"), _cts.Token);
                stream = ssl;
            }

            await using var owned = stream;
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var read = await stream.ReadAsync(buffer, _cts.Token);
                if (read == 0)
                {
                    SawClientFin.Enqueue(true);
                    break;
                }

                await stream.WriteAsync(buffer.AsMemory(0, read), _cts.Token);
            }

            if (stream is SslStream tls)
            {
                await tls.ShutdownAsync();
            }

            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception) when (_cts.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            SawClientFin.Enqueue(false);
        }
        catch (SocketException)
        {
            SawClientFin.Enqueue(false);
        }
        catch (System.Security.Authentication.AuthenticationException)
        {
        }
        finally
        {
            Interlocked.Increment(ref _closedConnections);
        }
    }
}
