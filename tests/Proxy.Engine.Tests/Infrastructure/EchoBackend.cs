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
    private readonly X509Certificate2? _certificate;
    private readonly string _name;
    private readonly LoopbackServer _server;
    private int _closedConnections;

    public EchoBackend(string name = "echo", X509Certificate2? certificate = null)
    {
        _name = name;
        _certificate = certificate;
        _server = new LoopbackServer((socket, _, stopping) => ServeAsync(socket, stopping));
    }

    public IPEndPoint EndPoint => _server.EndPoint;

    public int ConnectionCount => _server.ConnectionCount;

    /// <summary>Connections that ended (the echo finished after the peer's FIN, or the peer went away).</summary>
    public int ClosedConnections => Volatile.Read(ref _closedConnections);

    /// <summary>True when the last connection's client closed its side cleanly (FIN) before we closed ours.</summary>
    public ConcurrentQueue<bool> SawClientFin { get; } = new();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task ServeAsync(Socket socket, CancellationToken stopping)
    {
        try
        {
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, stopping);
                await ssl.WriteAsync(Encoding.ASCII.GetBytes($"hello from {_name} sni={ssl.TargetHostName}\n"), stopping);
                stream = ssl;
            }

            await using var owned = stream;
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var read = await stream.ReadAsync(buffer, stopping);
                if (read == 0)
                {
                    SawClientFin.Enqueue(true);
                    break;
                }

                await stream.WriteAsync(buffer.AsMemory(0, read), stopping);
            }

            if (stream is SslStream tls)
            {
                await tls.ShutdownAsync();
            }

            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception) when (stopping.IsCancellationRequested)
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
