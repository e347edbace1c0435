using System.Buffers;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Proxy.Hosting.Http;

namespace Proxy.Hosting;

/// <summary>
/// A small HTTP/1.1 upstream for demos and tests (<c>proxy echo</c>). Every request is answered <c>200</c> with
/// <c>x-echo-name: NAME</c> and a JSON body <c>{"name","method","path","headers":{...},"body_bytes":N}</c>, so a caller
/// can see which backend answered and what reached it. Keep-alive, pipelining, Content-Length and chunked request
/// bodies (counted, then discarded), HEAD, <c>Connection: close</c> and HTTP/1.0 are honoured; a malformed request is
/// answered with the parser's status code and the connection is closed.
/// </summary>
public sealed class EchoServer : IAsyncDisposable
{
    private readonly MiniHttpServer _server;
    private readonly ILogger _logger;

    /// <summary>Creates a server; call <see cref="Start()"/> to bind.</summary>
    /// <param name="endPoint">Where to listen; port 0 picks a free port (see <see cref="EndPoint"/>).</param>
    /// <param name="name">The name reported in <c>x-echo-name</c> and the body's <c>name</c>.</param>
    /// <param name="loggerFactory">Optional logging.</param>
    public EchoServer(IPEndPoint endPoint, string name, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<EchoServer>();
        _server = new MiniHttpServer(endPoint, Handle, _logger);
    }

    /// <summary>The name this server answers with.</summary>
    public string Name { get; }

    /// <summary>The bound address, port 0 resolved. Throws before <see cref="Start()"/>.</summary>
    public IPEndPoint EndPoint => _server.LocalEndPoint ?? throw new InvalidOperationException("The echo server has not been started.");

    /// <summary>Binds and starts serving. Throws <see cref="System.Net.Sockets.SocketException"/> if the address is taken.</summary>
    /// <returns>The bound address.</returns>
    public IPEndPoint Start()
    {
        var bound = _server.Start();
        HostingLog.EchoListening(_logger, Name, bound);
        return bound;
    }

    /// <summary>Starts a server in one call.</summary>
    public static EchoServer Listen(IPEndPoint endPoint, string name, ILoggerFactory? loggerFactory = null)
    {
        var server = new EchoServer(endPoint, name, loggerFactory);
        try
        {
            server.Start();
            return server;
        }
        catch
        {
            server._server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>Stops accepting and closes open connections.</summary>
    public Task StopAsync() => _server.StopAsync();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private MiniHttpResponse Handle(MiniHttpRequest request)
    {
        var body = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("name"u8, Name);
            json.WriteString("method"u8, request.Method);
            json.WriteString("path"u8, request.Target);
            json.WriteStartObject("headers"u8);
            WriteHeaders(json, request.Headers);
            json.WriteEndObject();
            json.WriteNumber("body_bytes"u8, request.BodyBytes);
            json.WriteEndObject();
        }

        return new MiniHttpResponse(200, "application/json", body.WrittenMemory)
        {
            Headers = [new("x-echo-name", Name)],
        };
    }

    /// <summary>
    /// Header names are lower-cased (they are case-insensitive, and that is how HTTP/2 and Envoy show them); repeated
    /// fields are joined with ", " as RFC 9110 5.3 allows, so the object has unique keys.
    /// </summary>
    private static void WriteHeaders(Utf8JsonWriter json, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var merged = new Dictionary<string, string>(headers.Count, StringComparer.Ordinal);
        var order = new List<string>(headers.Count);
        foreach (var (name, value) in headers)
        {
            var key = name.ToLowerInvariant();
            if (merged.TryGetValue(key, out var existing))
            {
                merged[key] = existing + ", " + value;
            }
            else
            {
                merged[key] = value;
                order.Add(key);
            }
        }

        foreach (var key in order)
        {
            json.WriteString(key, merged[key]);
        }
    }
}
