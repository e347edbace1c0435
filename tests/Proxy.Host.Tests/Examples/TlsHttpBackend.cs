using System.Collections.Concurrent;
using System.ComponentModel;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Proxy.Host.Tests.Examples;

/// <summary>
/// An HTTPS-only upstream standing in for an external service on 127.0.0.1: TLS with the certificate it is given, then
/// HTTP/1.1 keep-alive, answering every request (bodiless, as the tests send) with 200 and a text body naming the TLS
/// session and request. It records each TLS session's SNI and protocol and each request's session and Host header, so a
/// test sees exactly what the gateway originated.
/// </summary>
internal sealed class TlsHttpBackend : IAsyncDisposable
{
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly SslStreamCertificateContext _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<TlsSession> _sessions = new();
    private readonly ConcurrentQueue<BackendRequest> _requests = new();
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private readonly Task _acceptLoop;
    private int _nextSession;

    /// <param name="certificate">The server certificate, with its key; it must outlive the backend.</param>
    public TlsHttpBackend(X509Certificate2 certificate)
    {
        _certificate = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>When set, every response says <c>connection: close</c> and the backend closes the connection after it
    /// (with close_notify), as an HTTP/1.0 server or one at its keep-alive limit does.</summary>
    public bool CloseAfterResponse { get; set; }

    /// <summary>Every TLS session that completed its handshake, in order.</summary>
    public IReadOnlyList<TlsSession> Sessions => [.. _sessions];

    /// <summary>Every request answered, in order.</summary>
    public IReadOnlyList<BackendRequest> Requests => [.. _requests];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        await Task.WhenAll(_connections.Keys);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var connection = ServeAsync(socket);
            _connections.TryAdd(connection, true);
            _ = connection.ContinueWith(t => _connections.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var session = Interlocked.Increment(ref _nextSession);
        await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
        try
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = _certificate }, _stop.Token);
            _sessions.Enqueue(new TlsSession(session, ssl.TargetHostName, ssl.SslProtocol));
            var buffer = new byte[16 * 1024];
            var filled = 0;
            for (var request = 1; ; request++)
            {
                int headLength;
                while ((headLength = buffer.AsSpan(0, filled).IndexOf(HeadEnd)) < 0)
                {
                    var read = await ssl.ReadAsync(buffer.AsMemory(filled), _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    filled += read;
                }

                var lines = Encoding.Latin1.GetString(buffer, 0, headLength).Split("\r\n");
                var host = lines.Skip(1).Select(static l => l.Split(':', 2)).FirstOrDefault(static p => p[0].Trim().Equals("host", StringComparison.OrdinalIgnoreCase))?[1].Trim();
                var consumed = headLength + HeadEnd.Length;
                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                filled -= consumed;
                _requests.Enqueue(new BackendRequest(session, lines[0], host));

                var body = string.Create(CultureInfo.InvariantCulture, $"tls backend: session {session}, request {request}\n");
                var close = CloseAfterResponse;
                var response = string.Create(CultureInfo.InvariantCulture,
                    $"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {body.Length}\r\n{(close ? "connection: close\r\n" : "")}\r\n{body}");
                await ssl.WriteAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
                if (close)
                {
                    await ssl.ShutdownAsync();
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or Win32Exception or OperationCanceledException)
        {
            // The gateway closed the connection, failed the handshake, or the backend is stopping.
        }
    }
}

internal sealed record TlsSession(int Id, string ServerName, SslProtocols Protocol);

internal sealed record BackendRequest(int Session, string RequestLine, string? Host);
