using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Proxy.Engine.Tests.Infrastructure;

/// <summary>A response as the raw test client read it.</summary>
public sealed record ClientResponse(int Status, string Head, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    public string? Header(string name)
        => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}

/// <summary>
/// A raw HTTP/1.1 client connection over loopback: sends exact bytes (even one at a time) and reads responses by
/// their framing, so tests see precisely what the proxy put on the wire.
/// </summary>
public sealed class TestClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly ByteReader _reader;

    private TestClient(Socket socket, Stream stream)
    {
        _socket = socket;
        _stream = stream;
        _reader = new ByteReader(_stream);
    }

    public static async Task<TestClient> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint).WaitAsync(TestTimeouts.Default);
        return new TestClient(socket, new NetworkStream(socket, ownsSocket: true));
    }

    /// <summary>
    /// Connects and handshakes TLS: SNI <paramref name="serverName"/> (null sends none), trusting only
    /// <paramref name="trustedCa"/>, presenting <paramref name="clientCertificate"/> when asked. Throws when the
    /// handshake fails on the client's side. <paramref name="verifyName"/> false checks the chain but not the name
    /// (to observe which certificate a name the certificate does not cover is given).
    /// </summary>
    public static async Task<TestClient> ConnectTlsAsync(
        IPEndPoint endPoint, string? serverName, X509Certificate2 trustedCa, X509Certificate2? clientCertificate = null, bool verifyName = true)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint).WaitAsync(TestTimeouts.Default);
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
        var options = TestPki.ClientOptions(serverName, trustedCa, clientCertificate, verifyName);
        try
        {
            await ssl.AuthenticateAsClientAsync(options).WaitAsync(TestTimeouts.Default);
        }
        catch
        {
            await ssl.DisposeAsync();
            throw;
        }

        return new TestClient(socket, ssl);
    }

    /// <summary>The certificate the server presented (TLS clients only).</summary>
    public X509Certificate2? RemoteCertificate => (_stream as SslStream)?.RemoteCertificate as X509Certificate2;

    /// <summary>The negotiated application protocol (TLS clients only).</summary>
    public string? NegotiatedApplicationProtocol => (_stream as SslStream)?.NegotiatedApplicationProtocol.ToString();

    public ByteReader Reader => _reader;

    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes).AsTask().WaitAsync(TestTimeouts.Default);

    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Reads one response; <paramref name="headRequest"/> means no body whatever the headers say.</summary>
    public async Task<ClientResponse> ReadResponseAsync(bool headRequest = false)
    {
        var head = await _reader.ReadHeadAsync().WaitAsync(TestTimeouts.Default) ?? throw new IOException("Connection closed before a response.");
        var lines = head.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1]);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }

        var response = new ClientResponse(status, head, headers, []);
        byte[] body;
        if (headRequest || status is 204 or 304 || status < 200)
        {
            body = [];
        }
        else if (string.Equals(response.Header("transfer-encoding"), "chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = await _reader.ReadChunkedAsync().WaitAsync(TestTimeouts.Default);
        }
        else if (response.Header("content-length") is { } cl)
        {
            body = await _reader.ReadFixedAsync(long.Parse(cl)).WaitAsync(TestTimeouts.Default);
        }
        else
        {
            body = await _reader.ReadToEndAsync().WaitAsync(TestTimeouts.Default);
        }

        return response with { Body = body };
    }

    /// <summary>True once the proxy has closed the connection (waits at most the default timeout).</summary>
    public Task<bool> IsClosedByPeerAsync() => _reader.IsAtEndAsync().WaitAsync(TestTimeouts.Default);

    public async ValueTask DisposeAsync() => await _stream.DisposeAsync();
}

public static class TestTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(15);
}
