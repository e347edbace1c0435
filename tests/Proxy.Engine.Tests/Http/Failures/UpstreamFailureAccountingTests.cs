using System.Net.Sockets;
using System.Text;
using Proxy.Engine.Config;
using Proxy.Engine.Http;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http.Failures;

/// <summary>
/// Backends that die mid-response, reset, send a broken head or half-close: each failure gets Envoy's status and flag,
/// is counted, and leaves no upstream connection or pool slot behind. The first connection to the backend misbehaves;
/// later ones answer 200, so the client connection's survival can be checked too.
/// </summary>
public sealed class UpstreamFailureAccountingTests
{
    public enum Failure
    {
        DiesMidBody,
        ResetsMidBody,
        HalfClosesMidBody,
        BrokenHead,
        HalfClosesBeforeHead,
        ResetsBeforeHead,
    }

    private sealed class ScriptedBackend : IAsyncDisposable
    {
        private readonly LoopbackServer _server;
        private readonly Failure _failure;
        private int _open;
        private int _peerClosed;

        public ScriptedBackend(Failure failure)
        {
            _failure = failure;
            _server = new LoopbackServer(ServeAsync);
        }

        public System.Net.IPEndPoint EndPoint => _server.EndPoint;

        public int OpenConnections => Volatile.Read(ref _open);

        /// <summary>Connections on which the backend saw the proxy close its side.</summary>
        public int ClosedByProxy => Volatile.Read(ref _peerClosed);

        public ValueTask DisposeAsync() => _server.DisposeAsync();

        private async Task ServeAsync(Socket socket, int id, CancellationToken stopping)
        {
            Interlocked.Increment(ref _open);
            try
            {
                await using var stream = new NetworkStream(socket, ownsSocket: true);
                var reader = new ByteReader(stream);
                while (await reader.ReadHeadAsync(stopping) is not null)
                {
                    if (id > 1)
                    {
                        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray(), stopping);
                        continue;
                    }

                    switch (_failure)
                    {
                        case Failure.DiesMidBody:
                            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"), stopping);
                            return; // closes with FIN
                        case Failure.ResetsMidBody:
                            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"), stopping);
                            socket.LingerState = new LingerOption(true, 0);
                            return; // closes with RST
                        case Failure.ResetsBeforeHead:
                            socket.LingerState = new LingerOption(true, 0);
                            return;
                        case Failure.BrokenHead:
                            await stream.WriteAsync("HTTP/1.1 abc\r\n\r\n"u8.ToArray(), stopping);
                            break;
                        case Failure.HalfClosesMidBody:
                            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"), stopping);
                            socket.Shutdown(SocketShutdown.Send);
                            break;
                        case Failure.HalfClosesBeforeHead:
                            socket.Shutdown(SocketShutdown.Send);
                            break;
                    }

                    // Half-closed or broken: wait for the proxy to close its side, which it must.
                    if (await reader.IsAtEndAsync(stopping))
                    {
                        Interlocked.Increment(ref _peerClosed);
                    }

                    return;
                }
            }
            catch (IOException)
            {
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                Interlocked.Decrement(ref _open);
            }
        }
    }

    // Envoy: a response that breaks off after its head was sent resets the downstream stream (the client connection
    // is closed); one that fails before its head is a local reply: 503 UC "connection termination" for a close or
    // reset, 502 for a response Envoy's codec rejects (flag UPE).
    [Theory]
    [InlineData(Failure.DiesMidBody, 200, "UC")]
    [InlineData(Failure.ResetsMidBody, 200, "UC")]
    [InlineData(Failure.HalfClosesMidBody, 200, "UC")]
    [InlineData(Failure.BrokenHead, 502, "UPE")]
    [InlineData(Failure.HalfClosesBeforeHead, 503, "UC")]
    [InlineData(Failure.ResetsBeforeHead, 503, "UC")]
    public async Task Failure_IsAnsweredCountedAndLeavesNothingBehind(Failure failure, int status, string flags)
    {
        await using var backend = new ScriptedBackend(failure);
        var cluster = ProxyFixture.Cluster("b", backend.EndPoint);
        var log = new RequestLogRecorder();
        var route = new HttpRoute("r", [new WeightedCluster(cluster, 100)]);
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "/", route), [cluster], new ProxyServerOptions { RequestLog = log });
        var statistics = proxy.Server.Statistics;
        var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var midBody = status == 200;
        if (!midBody)
        {
            Assert.Equal(status, (await client.ReadResponseAsync()).Status);
        }
        else
        {
            var head = await client.Reader.ReadHeadAsync().WaitAsync(TestTimeouts.Default);
            Assert.StartsWith($"HTTP/1.1 {status} ", head, StringComparison.Ordinal);

            // The client sees a broken connection, never a complete body.
            await Assert.ThrowsAnyAsync<IOException>(() => client.Reader.ReadFixedAsync(100).WaitAsync(TestTimeouts.Default));
            await client.DisposeAsync();
        }

        var record = await log.WaitForAsync(1);
        Assert.Equal(flags, RequestLogRecorder.Flags(record));
        Assert.Equal(status, record.StatusCode);
        switch (failure)
        {
            case Failure.BrokenHead:
                Assert.Equal(1, statistics.UpstreamProtocolErrors);
                break;
            case Failure.HalfClosesBeforeHead or Failure.ResetsBeforeHead:
                Assert.Equal(1, statistics.UpstreamResets);
                break;
            default:
                Assert.Equal(1, statistics.UpstreamIncompleteResponses);
                break;
        }

        // Nothing left: the backend's connection is closed by the proxy (a half-closed one too), no pooled connection.
        await FailureTests.PollAsync(() => backend.OpenConnections == 0);
        if (failure is Failure.HalfClosesBeforeHead or Failure.HalfClosesMidBody or Failure.BrokenHead)
        {
            Assert.Equal(1, backend.ClosedByProxy);
        }

        var endpoint = cluster.State!.Endpoints[0];
        Assert.Equal(0, endpoint.Pool.IdleCount);
        Assert.Equal(0, endpoint.ActiveRequests);

        if (!midBody)
        {
            // A failure before the response head leaves the client connection usable.
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
            await client.DisposeAsync();
        }
        else
        {
            await FailureTests.PollAsync(() => proxy.Server.ConnectionCount == 0);
        }
    }
}
