using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Proxy.Engine.Config;
using Proxy.Engine.Logging;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http.AccessLog;

/// <summary>
/// The access log end to end: real requests through the proxy, lines written by <see cref="AccessLogWriter"/> to a real
/// file in a temp directory. Formats: Istio's default text format (pilot EnvoyTextLogFormat: Envoy's default format
/// string plus %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" after the
/// flags and %UPSTREAM_CLUSTER% ... %ROUTE_NAME% at the end) and Istio's JSON field names.
/// </summary>
public sealed partial class AccessLogTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("proxy-accesslog-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // One group per operator of Istio's default text format, in order. Envoy: "unset values print -".
    [GeneratedRegex("""
        ^\[(?<start>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\] "(?<method>\S+) (?<path>\S+) (?<protocol>HTTP/1\.[01]|-)" (?<code>\d+) (?<flags>\S+) (?<details>\S+) (?<termination>\S+) "(?<failure>[^"]*)" (?<received>\d+) (?<sent>\d+) (?<duration>\d+) (?<service>\S+) "(?<xff>[^"]*)" "(?<ua>[^"]*)" "(?<id>[^"]*)" "(?<authority>[^"]*)" "(?<host>[^"]*)" (?<cluster>\S+) (?<upstreamLocal>\S+) (?<downstreamLocal>\S+) (?<downstreamRemote>\S+) (?<sni>\S+) (?<route>\S+)$
        """)]
    private static partial Regex TextLine();

    [Fact]
    public async Task Forwarded200_OneTextLine_WithEveryField()
    {
        await using var backend = new TestBackend(_ => BackendReply.Ok("world!"));
        var cluster = ProxyFixture.Cluster("outbound|80||echo.test", backend.EndPoint);
        var path = Path.Combine(_directory, "access.log");

        await using (var log = OpenFile(path, AccessLogFormat.Text))
        {
            await using var proxy = await StartAsync(cluster, log);
            await using var client = await proxy.ConnectAsync();
            await client.SendAsync(
                "POST /r/x?q=1 HTTP/1.1\r\nHost: echo.test\r\nUser-Agent: curl/8.0\r\nX-Forwarded-For: 10.1.2.3\r\nX-Request-Id: req-1\r\nContent-Length: 5\r\n\r\nhello");
            var response = await client.ReadResponseAsync();
            Assert.Equal(200, response.Status);
        }

        var line = Assert.Single(File.ReadAllLines(path));
        var m = TextLine().Match(line);
        Assert.True(m.Success, line);
        Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(m.Groups["start"].Value, System.Globalization.CultureInfo.InvariantCulture) < TimeSpan.FromMinutes(5));
        Assert.Equal("POST", m.Groups["method"].Value);
        Assert.Equal("/r/x?q=1", m.Groups["path"].Value);
        Assert.Equal("HTTP/1.1", m.Groups["protocol"].Value);
        Assert.Equal("200", m.Groups["code"].Value);
        Assert.Equal("-", m.Groups["flags"].Value);
        // Envoy's ResponseCodeDetails::ViaUpstream for a response that came from the upstream.
        Assert.Equal("via_upstream", m.Groups["details"].Value);
        Assert.Equal("-", m.Groups["termination"].Value);
        Assert.Equal("-", m.Groups["failure"].Value);
        Assert.Equal("5", m.Groups["received"].Value);
        Assert.Equal("6", m.Groups["sent"].Value);
        Assert.Equal("-", m.Groups["service"].Value);
        // The request's x-forwarded-for as forwarded: the client's value with the client's address appended.
        Assert.Equal("10.1.2.3, 127.0.0.1", m.Groups["xff"].Value);
        Assert.Equal("curl/8.0", m.Groups["ua"].Value);
        Assert.Equal("req-1", m.Groups["id"].Value);
        Assert.Equal("echo.test", m.Groups["authority"].Value);
        Assert.Equal($"127.0.0.1:{backend.Port}", m.Groups["host"].Value);
        Assert.Equal("outbound|80||echo.test", m.Groups["cluster"].Value);
        Assert.Matches(@"^127\.0\.0\.1:\d+$", m.Groups["upstreamLocal"].Value);
        Assert.Matches(@"^127\.0\.0\.1:\d+$", m.Groups["downstreamLocal"].Value);
        Assert.Matches(@"^127\.0\.0\.1:\d+$", m.Groups["downstreamRemote"].Value);
        Assert.Equal("-", m.Groups["sni"].Value);
        Assert.Equal("r", m.Groups["route"].Value);
    }

    [Fact]
    public async Task NoRoute404_LineHasNR_AndAGeneratedRequestId()
    {
        await using var backend = new TestBackend(_ => BackendReply.Ok("x"));
        var path = Path.Combine(_directory, "access.log");

        await using (var log = OpenFile(path, AccessLogFormat.Text))
        {
            await using var proxy = await StartAsync(ProxyFixture.Cluster("c", backend.EndPoint), log);
            await using var client = await proxy.ConnectAsync();
            await client.SendAsync("GET /elsewhere HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(404, (await client.ReadResponseAsync()).Status);
        }

        var m = TextLine().Match(Assert.Single(File.ReadAllLines(path)));
        Assert.True(m.Success);
        Assert.Equal("404", m.Groups["code"].Value);
        // Envoy: NR "No route configured for a given request" (404), detail route_not_found.
        Assert.Equal("NR", m.Groups["flags"].Value);
        Assert.Equal("route_not_found", m.Groups["details"].Value);
        Assert.Equal("0", m.Groups["sent"].Value);
        Assert.Equal("-", m.Groups["ua"].Value);
        Assert.Equal("127.0.0.1", m.Groups["xff"].Value);
        // Envoy's connection manager gives every edge request an x-request-id (a UUID), routed or not.
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", m.Groups["id"].Value);
        Assert.Equal("-", m.Groups["host"].Value);
        Assert.Equal("-", m.Groups["cluster"].Value);
        Assert.Equal("-", m.Groups["upstreamLocal"].Value);
        Assert.Equal("-", m.Groups["route"].Value);
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task ConnectFailure503_LineHasUF_AndTheEndpointTried()
    {
        // A port bound but not listening refuses connections (see FailureTests.ConnectRefused_Answers503ConnectFailure).
        using var refusing = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        refusing.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)refusing.LocalEndPoint!).Port;
        var path = Path.Combine(_directory, "access.log");

        await using (var log = OpenFile(path, AccessLogFormat.Text))
        {
            await using var proxy = await StartAsync(ProxyFixture.Cluster("down", new IPEndPoint(IPAddress.Loopback, port)), log);
            await using var client = await proxy.ConnectAsync();
            await client.SendAsync("GET /r HTTP/1.1\r\nHost: a\r\n\r\n");
            var response = await client.ReadResponseAsync();
            Assert.Equal(503, response.Status);
            Assert.Equal(response.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), TextLine().Match(await WaitForLineAsync(log, path)).Groups["sent"].Value);
        }

        var m = TextLine().Match(Assert.Single(File.ReadAllLines(path)));
        Assert.Equal("503", m.Groups["code"].Value);
        // Envoy: UF "Upstream connection failure in addition to 503 response code".
        Assert.Equal("UF", m.Groups["flags"].Value);
        Assert.Equal("upstream_reset_before_response_started{connection_failure}", m.Groups["details"].Value);
        Assert.Equal($"127.0.0.1:{port}", m.Groups["host"].Value);
        Assert.Equal("down", m.Groups["cluster"].Value);
        Assert.Equal("-", m.Groups["upstreamLocal"].Value);
    }

    [Fact]
    public async Task Json_ParsesWithIstiosFieldNames()
    {
        await using var backend = new TestBackend(_ => BackendReply.Ok("world!"));
        var path = Path.Combine(_directory, "access.json");

        await using (var log = OpenFile(path, AccessLogFormat.Json))
        {
            await using var proxy = await StartAsync(ProxyFixture.Cluster("c", backend.EndPoint), log);
            await using var client = await proxy.ConnectAsync();
            await client.SendAsync("GET /r?a=\"b\" HTTP/1.0\r\nHost: a\r\nUser-Agent: say \"hi\"\\\r\nConnection: keep-alive\r\n\r\n");
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
            await client.SendAsync("GET /nope HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(404, (await client.ReadResponseAsync()).Status);
        }

        var lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        using var ok = JsonDocument.Parse(lines[0]);
        using var nr = JsonDocument.Parse(lines[1]);

        // Istio's JSON access-log format (EnvoyJSONLogFormatIstio) names.
        string[] names =
        [
            "start_time", "method", "path", "protocol", "response_code", "response_flags", "response_code_details",
            "connection_termination_details", "upstream_transport_failure_reason", "bytes_received", "bytes_sent", "duration",
            "upstream_service_time", "x_forwarded_for", "user_agent", "request_id", "authority", "upstream_host", "upstream_cluster",
            "upstream_local_address", "downstream_local_address", "downstream_remote_address", "requested_server_name", "route_name",
        ];
        Assert.Equal(names.Order(StringComparer.Ordinal), ok.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        var o = ok.RootElement;
        Assert.Equal("GET", o.GetProperty("method").GetString());
        Assert.Equal("/r?a=\"b\"", o.GetProperty("path").GetString());
        Assert.Equal("HTTP/1.0", o.GetProperty("protocol").GetString());
        Assert.Equal(200, o.GetProperty("response_code").GetInt32());
        Assert.Equal("-", o.GetProperty("response_flags").GetString());
        Assert.Equal("via_upstream", o.GetProperty("response_code_details").GetString());
        Assert.Equal(6, o.GetProperty("bytes_sent").GetInt64());
        Assert.Equal(0, o.GetProperty("bytes_received").GetInt64());
        Assert.True(o.GetProperty("duration").GetInt64() >= 0);
        Assert.Equal("say \"hi\"\\", o.GetProperty("user_agent").GetString());
        Assert.Equal($"127.0.0.1:{backend.Port}", o.GetProperty("upstream_host").GetString());
        Assert.Equal("c", o.GetProperty("upstream_cluster").GetString());
        Assert.Equal("r", o.GetProperty("route_name").GetString());
        Assert.Equal(JsonValueKind.Null, o.GetProperty("requested_server_name").ValueKind);
        Assert.Equal(JsonValueKind.Null, o.GetProperty("upstream_service_time").ValueKind);

        var n = nr.RootElement;
        Assert.Equal(404, n.GetProperty("response_code").GetInt32());
        Assert.Equal("NR", n.GetProperty("response_flags").GetString());
        Assert.Equal(JsonValueKind.Null, n.GetProperty("upstream_host").ValueKind);
        Assert.Equal(JsonValueKind.Null, n.GetProperty("route_name").ValueKind);
    }

    [Fact]
    public async Task TcpConnection_OneLineWhenItCloses_WithNoRequestFields()
    {
        // Istio's TCP lines carry no request: "- - -" 0, then the byte counts and the upstream (Envoy tcp_proxy).
        await using var echo = new EchoBackend();
        var cluster = ProxyFixture.Cluster("outbound|9000||tcp.test", echo.EndPoint);
        var path = Path.Combine(_directory, "access.log");

        await using (var log = OpenFile(path, AccessLogFormat.Text))
        {
            await using var proxy = await TlsProxyFixture.StartAsync(e => Tls.L4Tests.TcpListener(e, cluster), [cluster], new ProxyServerOptions { AccessLog = log });
            using var socket = await Tls.L4Tests.ConnectAsync(proxy.EndPoint);
            await socket.SendAsync("ping!"u8.ToArray());
            socket.Shutdown(SocketShutdown.Send);
            var buffer = new byte[16];
            var received = 0;
            for (var i = 0; i < 16 && received < 5; i++)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(received)).AsTask().WaitAsync(TestTimeouts.Default);
                if (n == 0)
                {
                    break;
                }

                received += n;
            }

            Assert.Equal(5, received);
            await WaitForLineAsync(log, path);
        }

        var line = Assert.Single(File.ReadAllLines(path));
        var m = TextLine().Match(line);
        Assert.True(m.Success, line);
        Assert.StartsWith("[", line, StringComparison.Ordinal);
        Assert.Contains("] \"- - -\" 0 - - - \"-\" 5 5 ", line, StringComparison.Ordinal);
        Assert.Equal("-", m.Groups["xff"].Value);
        Assert.Equal("-", m.Groups["id"].Value);
        Assert.Equal($"127.0.0.1:{echo.EndPoint.Port}", m.Groups["host"].Value);
        Assert.Equal("outbound|9000||tcp.test", m.Groups["cluster"].Value);
        Assert.Matches(@"^127\.0\.0\.1:\d+$", m.Groups["upstreamLocal"].Value);
        Assert.Equal("-", m.Groups["route"].Value);
    }

    [Fact]
    public async Task BlockedStream_RequestsStillComplete_AndLinesAreDroppedAndCounted()
    {
        await using var backend = new TestBackend(_ => BackendReply.Ok("ok"));
        var stream = new BlockingStream();
        const int Requests = 20;
        var log = new AccessLogWriter(stream, AccessLogFormat.Text, capacity: 2);
        await using (var proxy = await StartAsync(ProxyFixture.Cluster("c", backend.EndPoint), log))
        {
            await using var client = await proxy.ConnectAsync();
            for (var i = 0; i < Requests; i++)
            {
                // The stream accepts nothing: every request must still be answered (TestClient's reads time out).
                await client.SendAsync("GET /r HTTP/1.1\r\nHost: a\r\n\r\n");
                Assert.Equal(200, (await client.ReadResponseAsync()).Status);
            }

            // Lines are emitted just after each response is flushed: wait until all 20 were either queued or dropped.
            // The writer holds at most the lines it took before its first (blocked) flush plus the queue's 2.
            await FailureTests.PollAsync(() => stream.Blocked && log.DroppedLines >= Requests - 2 - stream.LinesTakenBeforeBlock);
            Assert.True(log.DroppedLines > 0);
            Assert.Equal(0, log.WrittenLines);
        }

        stream.Release();
        await log.DisposeAsync().AsTask().WaitAsync(TestTimeouts.Default);
        Assert.Equal(Requests, log.WrittenLines + log.DroppedLines);
        Assert.Equal(log.WrittenLines, stream.Lines);
    }

    [Fact]
    public async Task StuckStream_DisposeGivesUpAfterCloseTimeout()
    {
        // A stop must not hang on a log stream that never accepts: the queued lines are given up.
        var stream = new BlockingStream();
        var log = new AccessLogWriter(stream, AccessLogFormat.Text, capacity: 4) { CloseTimeout = TimeSpan.FromMilliseconds(200) };
        await using (var backend = new TestBackend(_ => BackendReply.Ok("ok")))
        await using (var proxy = await StartAsync(ProxyFixture.Cluster("c", backend.EndPoint), log))
        {
            await using var client = await proxy.ConnectAsync();
            await client.SendAsync("GET /r HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
            await FailureTests.PollAsync(() => stream.Blocked);
        }

        await log.DisposeAsync().AsTask().WaitAsync(TestTimeouts.Default);
        Assert.Equal(0, log.WrittenLines);
        stream.Release();
    }

    private static AccessLogWriter OpenFile(string path, AccessLogFormat format)
        => new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), format);

    private static Task<ProxyFixture> StartAsync(ClusterConfig cluster, AccessLogWriter log)
        => ProxyFixture.StartAsync(
            new TableRouter().Add("*", "/r", new HttpRoute("r", [new WeightedCluster(cluster, 100)])), [cluster], new ProxyServerOptions { AccessLog = log });

    /// <summary>Waits until the writer has written a line, then reads the file's first line.</summary>
    private static async Task<string> WaitForLineAsync(AccessLogWriter log, string path)
    {
        await FailureTests.PollAsync(() => log.WrittenLines >= 1);
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return await reader.ReadLineAsync() ?? "";
    }

    /// <summary>A stream whose writes wait until released: a disk that stopped.</summary>
    private sealed class BlockingStream : Stream
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly MemoryStream _written = new();
        private int _blocked;

        private int _linesTakenBeforeBlock;

        /// <summary>Whether the writer's first write reached this stream (and now waits).</summary>
        public bool Blocked => Volatile.Read(ref _blocked) != 0;

        /// <summary>Lines the writer had taken from its queue when its first write reached this stream.</summary>
        public int LinesTakenBeforeBlock => Volatile.Read(ref _linesTakenBeforeBlock);

        public int Lines => _written.ToArray().Count(b => b == (byte)'\n');

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void Release() => _released.TrySetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Volatile.Read(ref _blocked) == 0)
            {
                Volatile.Write(ref _linesTakenBeforeBlock, buffer.Span.Count((byte)'\n'));
                Volatile.Write(ref _blocked, 1);
            }

            await _released.Task.ConfigureAwait(false);
            lock (_written)
            {
                _written.Write(buffer.Span);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, default).GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken) => _released.Task;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
