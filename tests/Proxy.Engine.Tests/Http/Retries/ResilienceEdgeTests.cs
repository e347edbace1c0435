using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http.Retries;

/// <summary>
/// Edges a review of the resilience code found: a per-try timeout against a response already streaming, deadlines and
/// keep-alive settings beyond what the runtime or the kernel accept, and a connection handed from one request to a
/// waiting one with bytes left on it.
/// </summary>
public sealed class ResilienceEdgeTests
{
    /// <summary>A backend that sends the head and half the body of its first response, then the rest when released.</summary>
    private sealed class SplitBodyBackend : IAsyncDisposable
    {
        private readonly LoopbackServer _server;

        public SplitBodyBackend(ManualResetEventSlim release)
        {
            _server = new LoopbackServer(async (socket, id, stopping) =>
            {
                await using var stream = new NetworkStream(socket, ownsSocket: true);
                var reader = new ByteReader(stream);
                while (await reader.ReadHeadAsync(stopping) is not null)
                {
                    Interlocked.Increment(ref _requests);
                    await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345"u8.ToArray(), stopping);
                    await stream.FlushAsync(stopping);
                    await Task.Run(() => release.Wait(TestTimeouts.Default), stopping);
                    await stream.WriteAsync("67890"u8.ToArray(), stopping);
                }
            });
        }

        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        public System.Net.IPEndPoint EndPoint => _server.EndPoint;

        public ValueTask DisposeAsync() => _server.DisposeAsync();
    }

    [Fact]
    public async Task PerTryTimeout_AfterTheResponseStarted_IsIgnored()
    {
        // Envoy UpstreamRequest::onPerTryTimeout: "ignored upstream per try timeout due to already started downstream
        // response"; only the route timeout can cut a response that is streaming.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var release = new ManualResetEventSlim();
        await using var backend = new SplitBodyBackend(release);
        var log = new RequestLogRecorder();
        var perTry = new RetryPolicy
        {
            NumRetries = 2, RetryOn = RetryConditions.ServerError | RetryConditions.Reset, BackoffBase = TimeSpan.Zero, PerTryTimeout = TimeSpan.FromSeconds(2),
        };
        await using var proxy = await RetryTestKit.StartAsync(RetryTestKit.Cluster(backend.EndPoint), perTry, log, time: time);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(RetryTestKit.Get);
        var head = await client.Reader.ReadHeadAsync().WaitAsync(TestTimeouts.Default);
        Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);
        time.Advance(TimeSpan.FromSeconds(10));
        release.Set();

        Assert.Equal("1234567890", Encoding.ASCII.GetString(await client.Reader.ReadFixedAsync(10).WaitAsync(TestTimeouts.Default)));
        var record = await log.WaitForAsync(1);
        Assert.Equal("-", RequestLogRecorder.Flags(record));
        Assert.Equal(0, proxy.Server.Statistics.PerTryTimeouts);
        Assert.Equal(1, backend.Requests);
    }

    [Fact]
    public async Task DeadlinesBeyondTheTimersRange_StillServe()
    {
        // .NET timers take at most about 49.7 days; Istio durations have no upper bound. A longer timeout must not fail
        // the request (it is scheduled in steps instead).
        await using var backend = new TestBackend();
        var log = new RequestLogRecorder();
        var policy = new RetryPolicy { NumRetries = 1, RetryOn = RetryConditions.ServerError, PerTryTimeout = TimeSpan.FromDays(100), BackoffBase = TimeSpan.FromDays(100) };
        await using var proxy = await RetryTestKit.StartAsync(RetryTestKit.Cluster(backend.EndPoint), policy, log, timeout: TimeSpan.FromDays(365));
        await using var client = await proxy.ConnectAsync();

        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync(RetryTestKit.Get);
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        }
    }

    [Fact]
    public async Task KeepAliveSettingsBeyondTheKernelsLimits_AreClamped()
    {
        // Linux refuses TCP_KEEPIDLE/TCP_KEEPINTVL over 32767 s and TCP_KEEPCNT over 127 (EINVAL); Istio accepts any
        // duration. The connect must not fail for it.
        await using var backend = new TestBackend();
        var plain = ProxyFixture.Cluster("k", backend.EndPoint);
        var cluster = new ClusterConfig
        {
            Name = plain.Name,
            Endpoints = plain.Endpoints,
            TcpKeepAlive = new TcpKeepAliveSettings(Probes: 1000, Time: TimeSpan.FromHours(10), Interval: TimeSpan.FromHours(10)),
        };
        await using var proxy = await ProxyFixture.StartAsync(cluster);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(RetryTestKit.Get);
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task ConnectionWithStrayBytes_IsNotHandedToAWaitingRequest()
    {
        // A connection whose upstream sent more than its response (here 4 bytes past Content-Length) is not reusable: a
        // request waiting for a connection (MaxConnections 1) must get a fresh one, not parse the stray bytes.
        using var release = new ManualResetEventSlim();
        await using var backend = new TestBackend(r =>
        {
            if (r.Target == "/slow")
            {
                release.Wait(TestTimeouts.Default);
                return BackendReply.Raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokJUNK");
            }

            return BackendReply.Ok("fine");
        });
        var plain = ProxyFixture.Cluster("stray", backend.EndPoint);
        var cluster = new ClusterConfig
        {
            Name = plain.Name,
            Endpoints = plain.Endpoints,
            CircuitBreakers = new CircuitBreakerThresholds { MaxConnections = 1 },
        };
        await using var proxy = await ProxyFixture.StartAsync(cluster);
        await using var first = await proxy.ConnectAsync();
        await using var second = await proxy.ConnectAsync();

        await first.SendAsync("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
        await FailureTests.PollAsync(() => backend.Requests.Count == 1);
        await second.SendAsync("GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
        await FailureTests.PollAsync(() => cluster.State!.PendingRequests == 1);
        release.Set();

        Assert.Equal("ok", (await first.ReadResponseAsync()).BodyText);
        var response = await second.ReadResponseAsync();
        Assert.Equal(200, response.Status);
        Assert.Equal("fine", response.BodyText);
        Assert.Equal(2, backend.ConnectionCount);
    }
}
