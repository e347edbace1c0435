using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Tests.Http;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Tls;

/// <summary>What a TLS port does with bytes that are not a good handshake: close, count, never hang.</summary>
public sealed class TlsFailureTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task GarbageOnATlsPortIsClosedAndCounted()
    {
        await using var backend = new TestBackend();
        await using var proxy = await StartAsync(backend);

        using var socket = await L4Tests.ConnectAsync(proxy.EndPoint);
        await socket.SendAsync("GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"u8.ToArray());
        Assert.Empty(await L4Tests.ReceiveToEndAsync(socket).WaitAsync(TestTimeouts.Default));
        await FailureTests.PollAsync(() => proxy.Statistics.TlsNotTls == 1);
        await FailureTests.PollAsync(() => proxy.Server.ConnectionCount == 0);
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task ATruncatedClientHelloIsClosedAndCounted()
    {
        await using var backend = new TestBackend();
        await using var proxy = await StartAsync(backend);
        var hello = await CaptureClientHelloAsync("api.example.com");

        using var socket = await L4Tests.ConnectAsync(proxy.EndPoint);
        await socket.SendAsync(hello.AsMemory(0, hello.Length / 2));
        socket.Shutdown(SocketShutdown.Send);
        Assert.Empty(await L4Tests.ReceiveToEndAsync(socket).WaitAsync(TestTimeouts.Default));
        await FailureTests.PollAsync(() => proxy.Statistics.TlsBadHello == 1);
        await FailureTests.PollAsync(() => proxy.Server.ConnectionCount == 0);
    }

    [Fact]
    public async Task AMalformedClientHelloIsClosedAndCounted()
    {
        await using var backend = new TestBackend();
        await using var proxy = await StartAsync(backend);
        var hello = await CaptureClientHelloAsync("api.example.com");
        hello[6] = 0xFF; // the handshake length now claims megabytes

        using var socket = await L4Tests.ConnectAsync(proxy.EndPoint);
        await socket.SendAsync(hello);
        Assert.Empty(await L4Tests.ReceiveToEndAsync(socket).WaitAsync(TestTimeouts.Default));
        await FailureTests.PollAsync(() => proxy.Statistics.TlsBadHello == 1);
    }

    [Theory]
    [InlineData(0)] // connected, silent
    [InlineData(20)] // part of a hello, then silent
    [InlineData(-1)] // a whole hello, then silent: the handshake itself stalls
    public async Task AStalledHandshakeIsClosedAtTheHandshakeTimeout(int helloBytes)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var backend = new TestBackend();
        await using var proxy = await StartAsync(backend, new ProxyServerOptions { TimeProvider = time });
        var hello = await CaptureClientHelloAsync("api.example.com");

        using var socket = await L4Tests.ConnectAsync(proxy.EndPoint);
        var count = helloBytes < 0 ? hello.Length : helloBytes;
        if (count > 0)
        {
            await socket.SendAsync(hello.AsMemory(0, count));
        }

        await FailureTests.PollAsync(() => proxy.Server.ConnectionCount == 1);
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, proxy.Statistics.TlsHandshakeTimeouts);

        time.Advance(TimeSpan.FromSeconds(2));
        await FailureTests.PollAsync(() => proxy.Statistics.TlsHandshakeTimeouts == 1);
        await FailureTests.PollAsync(() => proxy.Server.ConnectionCount == 0);
        var rest = await L4Tests.ReceiveToEndAsync(socket).WaitAsync(TestTimeouts.Default);
        Assert.True(helloBytes < 0 || rest.Length == 0); // a whole hello got the server's flight before the stall
    }

    [Fact]
    public async Task AConnectionClosedBeforeAnyByteIsNotAnError()
    {
        await using var backend = new TestBackend();
        await using var proxy = await StartAsync(backend);

        using (var socket = await L4Tests.ConnectAsync(proxy.EndPoint))
        {
            socket.Shutdown(SocketShutdown.Send);
            Assert.Empty(await L4Tests.ReceiveToEndAsync(socket).WaitAsync(TestTimeouts.Default));
        }

        await FailureTests.PollAsync(() => proxy.Server.ConnectionCount == 0);
        Assert.Equal(0, proxy.Statistics.TlsErrors);
    }

    private async Task<TlsProxyFixture> StartAsync(TestBackend backend, ProxyServerOptions? options = null)
    {
        var cluster = ProxyFixture.Cluster("backend", backend.EndPoint);
        var certificate = _pki.IssueServer("api.example.com");
        var chain = TlsTerminationTests.Terminating("api", ["api.example.com"], new StaticTlsCredentialSource(_pki.Credentials(certificate)), cluster);
        return await TlsProxyFixture.StartAsync(e => TlsTerminationTests.Listener(e, chain), [cluster], options);
    }

    /// <summary>The bytes a real .NET client sends first: its ClientHello, captured on a plain listener.</summary>
    private async Task<byte[]> CaptureClientHelloAsync(string serverName)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        using var server = await listener.AcceptAsync();
        var ssl = new System.Net.Security.SslStream(new NetworkStream(client));
        var handshake = ssl.AuthenticateAsClientAsync(TestPki.ClientOptions(serverName, _pki.Ca));

        var header = new byte[5];
        await ReadExactlyAsync(server, header);
        var body = new byte[(header[3] << 8) | header[4]];
        await ReadExactlyAsync(server, body);
        server.Close();
        await Assert.ThrowsAnyAsync<Exception>(() => handshake.WaitAsync(TestTimeouts.Default));
        await ssl.DisposeAsync();
        return [.. header, .. body];
    }

    private static async Task ReadExactlyAsync(Socket socket, byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read)).AsTask().WaitAsync(TestTimeouts.Default);
            Assert.NotEqual(0, n);
            read += n;
        }
    }
}
