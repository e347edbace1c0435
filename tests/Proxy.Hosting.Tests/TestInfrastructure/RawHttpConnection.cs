using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Proxy.Hosting.Tests.TestInfrastructure;

/// <summary>A raw loopback client: sends exact bytes and reads responses one by one, so tests see the wire.</summary>
internal sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawHttpConnection(Socket socket) => _socket = socket;

    public static async Task<RawHttpConnection> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint).DefaultTimeout();
        return new RawHttpConnection(socket);
    }

    public async Task SendAsync(string text) => await SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes).DefaultTimeout();

    /// <summary>Reads one response (head and Content-Length body); null if the peer closed before sending one.</summary>
    public async Task<RawHttpResponse?> ReadResponseAsync(bool isHead = false)
    {
        int headEnd;
        while ((headEnd = IndexOfHeadEnd()) < 0)
        {
            if (!await FillAsync())
            {
                return null;
            }
        }

        var head = Encoding.Latin1.GetString(_buffer, _start, headEnd - _start);
        _start = headEnd + 4;
        var lines = head.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }

        var response = new RawHttpResponse(status, headers, "");
        var length = isHead ? 0 : int.Parse(response.Header("content-length") ?? "0", CultureInfo.InvariantCulture);
        while (_end - _start < length)
        {
            if (!await FillAsync())
            {
                throw new InvalidOperationException("Connection closed inside a response body.");
            }
        }

        var body = Encoding.UTF8.GetString(_buffer, _start, length);
        _start += length;
        return response with { Body = body };
    }

    /// <summary>True when the peer closes (read returns 0) with nothing more unread.</summary>
    public async Task<bool> IsClosedByPeerAsync()
    {
        if (_end > _start)
        {
            return false;
        }

        try
        {
            return !await FillAsync();
        }
        catch (SocketException)
        {
            return true;
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private int IndexOfHeadEnd()
    {
        var index = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
        return index < 0 ? -1 : _start + index;
    }

    private async Task<bool> FillAsync()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end)).DefaultTimeout();
        _end += read;
        return read > 0;
    }
}

internal sealed record RawHttpResponse(int StatusCode, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)
{
    public string? Header(string name)
        => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}
