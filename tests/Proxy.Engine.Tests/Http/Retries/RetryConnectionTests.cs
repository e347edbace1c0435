using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;
using static Proxy.Engine.Tests.Http.Retries.RetryTestKit;

namespace Proxy.Engine.Tests.Http.Retries;

/// <summary>What retries do to connections: the client's stays usable, dropped attempts' upstream connections close,
/// nothing leaks when the client leaves, and the keep-alive replay stays a transport matter.</summary>
public sealed class RetryConnectionTests
{
    [Fact]
    public async Task RetriedRequests_ClientKeepsConnection_DroppedAttemptsClosed()
    {
        // Envoy resets the upstream stream of a retried attempt (router.cc onUpstreamHeaders: resetStream when the
        // response is not complete); on HTTP/1.1 that closes its connection. The successful attempt's connection is
        // pooled, so after any number of retried requests exactly one upstream connection stays open.
        var served = 0;
        await using var backend = new TestBackend(_ => Interlocked.Increment(ref served) % 2 == 1 ? Status(503, "odd") : BackendReply.Ok("even"));
        var cluster = Cluster(backend.EndPoint);
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(cluster, Policy(RetryConditions.GatewayError), log);
        await using var client = await proxy.ConnectAsync();
        for (var i = 0; i < 5; i++)
        {
            await client.SendAsync(Get);
            var response = await client.ReadResponseAsync();
            Assert.Equal(200, response.Status);
            Assert.Equal("even", response.BodyText);
        }

        await log.WaitForAsync(5);
        Assert.All(log.Records, r => Assert.Equal(2, r.Attempts));
        Assert.Equal(10, backend.Requests.Count);
        Assert.Equal(1, proxy.Server.ConnectionCount);
        await FailureTests.PollAsync(() => backend.OpenConnections == 1);
        Assert.Equal(1, cluster.State!.Endpoints[0].Pool.IdleCount);
    }

    [Fact]
    public async Task ClientLeavesDuringAttempt_UpstreamReleased_RecordDC()
    {
        // Envoy: a downstream disconnect resets the upstream request and logs DC (downstream connection termination).
        await using var silent = new SilentBackend();
        var log = new RequestLogRecorder();
        var policy = new RetryPolicy { NumRetries = 2, RetryOn = RetryConditions.ServerError | RetryConditions.Reset, BackoffBase = TimeSpan.Zero };
        await using var proxy = await StartAsync(Cluster(silent.EndPoint), policy, log);
        var client = await proxy.ConnectAsync();

        await client.SendAsync(Get);
        await FailureTests.PollAsync(() => silent.BytesReceived > 0);
        await client.DisposeAsync();

        await FailureTests.PollAsync(() => proxy.Server.ConnectionCount == 0);
        await FailureTests.PollAsync(() => silent.OpenConnections == 0);
        var record = await log.WaitForAsync(1);
        Assert.Contains("DC", RequestLogRecorder.Flags(record), StringComparison.Ordinal);
        Assert.Equal(1, silent.ConnectionCount);
        Assert.Equal(0, proxy.Server.Statistics.Retries);
    }

    [Fact]
    public async Task ClientLeavesDuringBackoff_NoFurtherAttempt_RecordDC()
    {
        // Envoy: the downstream reset destroys the router filter, which cancels the retry timer (RetryStateImpl's
        // destructor): no further attempt goes out, and the request is logged DC.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var backend = new TestBackend(_ => Status(503, "down"));
        var log = new RequestLogRecorder();
        var policy = new RetryPolicy { NumRetries = 2, RetryOn = RetryConditions.ServerError, BackoffBase = TimeSpan.FromDays(10) };
        await using var proxy = await StartAsync(Cluster(backend.EndPoint), policy, log, time: time);
        var client = await proxy.ConnectAsync();

        await client.SendAsync(Get);
        await FailureTests.PollAsync(() => backend.Requests.Count == 1 && backend.OpenConnections == 0);
        await client.DisposeAsync();

        await FailureTests.PollAsync(() => proxy.Server.ConnectionCount == 0);
        var record = await log.WaitForAsync(1);
        Assert.Contains("DC", RequestLogRecorder.Flags(record), StringComparison.Ordinal);
        Assert.Equal(0, record.StatusCode);
        Assert.Single(backend.Requests);
        Assert.Equal(0, backend.OpenConnections);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StaleKeepAliveReplay_StillWorks_NotCountedAsRetry(bool withPolicy)
    {
        // The keep-alive race (an upstream closing an idle connection as it is reused, before any response byte) is
        // replayed once on a fresh connection: a transport matter, not an attempt of the retry policy (Envoy's
        // upstream_rq_retry counts policy retries only).
        await using var backend = new TestBackend(TestBackend.FirstRequestPerConnectionOnly(BackendReply.Ok("fresh")));
        var cluster = Cluster(backend.EndPoint);
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(cluster, withPolicy ? Policy(RetryConditions.ServerError | RetryConditions.Reset) : null, log);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Get);
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await FailureTests.PollAsync(() => cluster.State!.Endpoints[0].Pool.IdleCount == 1);

        await client.SendAsync(Get);
        var response = await client.ReadResponseAsync();
        Assert.Equal(200, response.Status);
        Assert.Equal("fresh", response.BodyText);
        Assert.Equal(2, backend.ConnectionCount);

        var record = await log.WaitForAsync(2);
        Assert.Equal("-", RequestLogRecorder.Flags(record));
        Assert.Equal(1, record.Attempts);
        Assert.Equal(0, proxy.Server.Statistics.Retries);

        // The replay carries the same attempt number as the request it replays; Istio sets include_request_attempt_count
        // on every gateway virtual host, so the header is there with or without a retry policy.
        Assert.All(backend.Requests, r => Assert.Equal("1", r.Header("x-envoy-attempt-count")));
    }
}
