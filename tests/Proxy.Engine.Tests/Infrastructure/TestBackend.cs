using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Proxy.Engine.Tests.Infrastructure;

/// <summary>A request as the test backend received it.</summary>
public sealed record BackendRequest(string Method, string Target, string Version, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body, int ConnectionId)
{
    public string? Header(string name)
    {
        foreach (var (n, v) in Headers)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                return v;
            }
        }

        return null;
    }

    public int HeaderCount(string name) => Headers.Count(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>What the backend does with a request: write these bytes, then optionally close.</summary>
public sealed record BackendReply(byte[] Bytes, bool CloseAfter = false, bool CloseWithoutReply = false, bool ResetAfter = false)
{
    public static BackendReply Ok(string body, params string[] headers)
    {
        var sb = new StringBuilder("HTTP/1.1 200 OK\r\n");
        foreach (var h in headers)
        {
            sb.Append(h).Append("\r\n");
        }

        sb.Append("Content-Length: ").Append(Encoding.UTF8.GetByteCount(body)).Append("\r\n\r\n").Append(body);
        return new BackendReply(Encoding.UTF8.GetBytes(sb.ToString()));
    }

    public static BackendReply Raw(string text, bool closeAfter = false) => new(Encoding.Latin1.GetBytes(text), closeAfter);
}

/// <summary>
/// A real HTTP/1.1 upstream on a loopback socket, scripted per request. Deliberately simple and independent of the
/// code under test: it parses with plain string handling so a parser bug cannot hide itself.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly Func<BackendRequest, BackendReply> _handler;
    private readonly LoopbackServer _server;
    private int _openConnections;

    private readonly X509Certificate2? _certificate;

    /// <param name="handler">Scripts the reply to each request.</param>
    /// <param name="certificate">When set, the backend speaks TLS only, with this certificate.</param>
    public TestBackend(Func<BackendRequest, BackendReply>? handler = null, X509Certificate2? certificate = null)
    {
        _certificate = certificate;
        _handler = handler ?? (r => BackendReply.Ok($"{r.Method} {r.Target}"));
        _server = new LoopbackServer(ServeAsync);
    }

    public IPEndPoint EndPoint => _server.EndPoint;

    public int Port => EndPoint.Port;

    /// <summary>
    /// The keep-alive race made deterministic: answers the first request on each connection with
    /// <paramref name="first"/> and silently closes on the next, as an upstream whose idle timeout fired mid-flight does.
    /// </summary>
    public static Func<BackendRequest, BackendReply> FirstRequestPerConnectionOnly(BackendReply first)
    {
        var served = new ConcurrentDictionary<int, int>();
        return r => served.AddOrUpdate(r.ConnectionId, 1, (_, n) => n + 1) == 1 ? first : new BackendReply([], CloseWithoutReply: true);
    }

    public ConcurrentQueue<BackendRequest> Requests { get; } = new();

    /// <summary>The SNI of each TLS connection, in accept order (TLS backends only).</summary>
    public ConcurrentQueue<string> ServerNames { get; } = new();

    /// <summary>Connections accepted so far.</summary>
    public int ConnectionCount => _server.ConnectionCount;

    public int OpenConnections => Volatile.Read(ref _openConnections);

    /// <summary>Bytes of request bodies received, summed (for streaming tests that discard bodies).</summary>
    public long BodyBytes => Interlocked.Read(ref _bodyBytes);

    /// <summary>When set, bodies are counted and discarded instead of kept.</summary>
    public bool DiscardBodies { get; init; }

    private long _bodyBytes;

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task ServeAsync(Socket socket, int id, CancellationToken stopping)
    {
        Interlocked.Increment(ref _openConnections);
        try
        {
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, stopping);
                ServerNames.Enqueue(ssl.TargetHostName);
                stream = ssl;
            }

            await using var ownedStream = stream;
            var reader = new ByteReader(stream);
            while (true)
            {
                var head = await reader.ReadHeadAsync(stopping);
                if (head is null)
                {
                    return;
                }

                var lines = head.Split("\r\n");
                var parts = lines[0].Split(' ');
                var headers = new List<KeyValuePair<string, string>>();
                for (var i = 1; i < lines.Length; i++)
                {
                    if (lines[i].Length == 0)
                    {
                        continue;
                    }

                    var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
                    headers.Add(new(lines[i][..colon], lines[i][(colon + 1)..].Trim()));
                }

                var request = new BackendRequest(parts[0], parts[1], parts[2], headers, [], id);
                byte[] body;
                if (string.Equals(request.Header("transfer-encoding"), "chunked", StringComparison.OrdinalIgnoreCase))
                {
                    body = await reader.ReadChunkedAsync(DiscardBodies, n => Interlocked.Add(ref _bodyBytes, n), stopping);
                }
                else if (long.TryParse(request.Header("content-length"), out var length) && length > 0)
                {
                    body = await reader.ReadFixedAsync(length, DiscardBodies, n => Interlocked.Add(ref _bodyBytes, n), stopping);
                }
                else
                {
                    body = [];
                }

                request = request with { Body = body };
                Requests.Enqueue(request);
                var reply = _handler(request);
                if (reply.CloseWithoutReply)
                {
                    return;
                }

                await stream.WriteAsync(reply.Bytes, stopping);
                if (reply.ResetAfter)
                {
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                    return;
                }

                if (reply.CloseAfter || string.Equals(request.Header("connection"), "close", StringComparison.OrdinalIgnoreCase))
                {
                    socket.Shutdown(SocketShutdown.Send);
                    return;
                }
            }
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
        catch (SocketException)
        {
        }
        catch (System.Security.Authentication.AuthenticationException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _openConnections);
        }
    }
}
