using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;
using static Proxy.Engine.Tests.Http.Retries.RetryTestKit;

namespace Proxy.Engine.Tests.Http.Retries;

/// <summary>Per-try timeouts, the route timeout across attempts, and the back-off, on a FakeTimeProvider.</summary>
public sealed class RetryTimingTests
{
    private static RetryPolicy PerTry(RetryConditions on, int retries, TimeSpan perTry) => new()
    {
        NumRetries = retries,
        RetryOn = on,
        PerTryTimeout = perTry,
        BackoffBase = TimeSpan.Zero,
    };

    [Fact]
    public async Task PerTryTimeout_HangingEndpoint_RetriedOnTheOther()
    {
        // Envoy: a per-try timeout resets the attempt and, under 5xx or gateway-error, is retried like a gateway error
        // (retry_state_impl.cc: "non-hedged per try timeouts ... are only retried if the applicable retry policy
        // specifies either RETRY_ON_5XX or RETRY_ON_GATEWAY_ERROR"). Round robin sends the first attempt to the silent one.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var silent = new SilentBackend();
        await using var good = new TestBackend();
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(Cluster(silent.EndPoint, good.EndPoint), PerTry(RetryConditions.ServerError, 1, TimeSpan.FromSeconds(2)), log, time: time);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Get);
        await FailureTests.PollAsync(() => silent.BytesReceived > 0);
        await AdvanceUntilAsync(time, () => proxy.Server.Statistics.PerTryTimeouts == 1);
        var response = await client.ReadResponseAsync();
        Assert.Equal(200, response.Status);
        var record = await log.WaitForAsync(1);
        Assert.Equal(2, record.Attempts);
        Assert.Equal("-", RequestLogRecorder.Flags(record));
        Assert.Equal("2", good.Requests.Single().Header("x-envoy-attempt-count"));

        // The timed-out attempt's connection was reset, not pooled.
        await FailureTests.PollAsync(() => silent.OpenConnections == 0);
    }

    [Fact]
    public async Task PerTryTimeout_ResetConfigured_Retried()
    {
        // Envoy: "reset: Envoy will attempt a retry if the upstream server does not respond at all (disconnect/reset/read
        // timeout.)"; router.cc onPerTryTimeoutCommon resets the attempt and asks maybeRetryReset(LocalReset), and
        // wouldRetryFromReset retries any reset under RETRY_ON_RESET.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var silent = new SilentBackend();
        await using var good = new TestBackend();
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(Cluster(silent.EndPoint, good.EndPoint), PerTry(RetryConditions.Reset, 1, TimeSpan.FromSeconds(2)), log, time: time);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Get);
        await FailureTests.PollAsync(() => silent.BytesReceived > 0);
        await AdvanceUntilAsync(time, () => proxy.Server.Statistics.PerTryTimeouts == 1);
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        Assert.Equal(2, (await log.WaitForAsync(1)).Attempts);
    }

    [Fact]
    public async Task PerTryTimeout_RetriesExhausted_504_UTAndURX()
    {
        // Envoy: the last per-try timeout with no retry left answers 504 "upstream request timeout" (router.cc
        // onPerTryTimeoutCommon -> onUpstreamTimeoutAbort, flag UT) after maybeRetryReset set URX (NoRetryLimitExceeded).
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var silent = new SilentBackend();
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(Cluster(silent.EndPoint), PerTry(RetryConditions.ServerError, 1, TimeSpan.FromSeconds(2)), log, time: time);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Get);
        await FailureTests.PollAsync(() => silent.BytesReceived > 0);
        await AdvanceUntilAsync(time, () => proxy.Server.Statistics.PerTryTimeouts == 2);
        var response = await client.ReadResponseAsync();
        Assert.Equal(504, response.Status);
        Assert.Equal("upstream request timeout", response.BodyText);
        var record = await log.WaitForAsync(1);
        Assert.Equal("URX,UT", RequestLogRecorder.Flags(record));
        Assert.Equal(2, record.Attempts);
        await FailureTests.PollAsync(() => silent.ConnectionCount == 2); // the accept can trail the connect
        await FailureTests.PollAsync(() => silent.OpenConnections == 0);

        // The request was complete, so the client connection stays, and the next request gets its own attempts.
        await client.SendAsync(Get);
        await FailureTests.PollAsync(() => silent.ConnectionCount == 3);
        await AdvanceUntilAsync(time, () => proxy.Server.Statistics.PerTryTimeouts == 4);
        Assert.Equal(504, (await client.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task PerTryTimeout_OnlyConnectFailureConfigured_NotRetried_504UT()
    {
        // A per-try timeout is not a connect failure: not retried, answered 504 UT, and no URX (no retry was wanted).
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var silent = new SilentBackend();
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(Cluster(silent.EndPoint), PerTry(RetryConditions.ConnectFailure, 2, TimeSpan.FromSeconds(2)), log, time: time);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Get);
        await FailureTests.PollAsync(() => silent.BytesReceived > 0);
        await AdvanceUntilAsync(time, () => proxy.Server.Statistics.PerTryTimeouts == 1);
        Assert.Equal(504, (await client.ReadResponseAsync()).Status);
        var record = await log.WaitForAsync(1);
        Assert.Equal("UT", RequestLogRecorder.Flags(record));
        Assert.Equal(1, silent.ConnectionCount);
        Assert.Equal(0, proxy.Server.Statistics.Retries);
    }

    [Fact]
    public async Task RouteTimeout_FiresDuringRetry_504UT()
    {
        // Envoy router docs: "The route timeout ... includes all retries. Thus if the request timeout is set to 3s, and
        // the first request attempt takes 2.7s, the retry (including backoff) has .3s to complete."
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var silent = new SilentBackend();
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(
            Cluster(silent.EndPoint), PerTry(RetryConditions.ServerError, 3, TimeSpan.FromSeconds(3)), log, timeout: TimeSpan.FromSeconds(5), time: time);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Get);
        await FailureTests.PollAsync(() => silent.BytesReceived > 0);
        await AdvanceUntilAsync(time, () => proxy.Server.Statistics.PerTryTimeouts == 1);
        await FailureTests.PollAsync(() => silent.ConnectionCount == 2);
        await AdvanceUntilAsync(time, () => proxy.Server.Statistics.RouteTimeouts == 1);

        var response = await client.ReadResponseAsync();
        Assert.Equal(504, response.Status);
        Assert.Equal("upstream request timeout", response.BodyText);
        var record = await log.WaitForAsync(1);
        Assert.Equal("UT", RequestLogRecorder.Flags(record));
        Assert.Equal(2, record.Attempts);
        Assert.Equal(1, proxy.Server.Statistics.PerTryTimeouts);
        await FailureTests.PollAsync(() => silent.OpenConnections == 0);
    }

    [Fact]
    public async Task Backoff_RetryWaitsForTheClock()
    {
        // Envoy: "fully jittered exponential back-off ... base interval of 25ms" -- the first retry waits a random time in
        // [0, 1 x base): with a 1 s base, the second attempt cannot arrive before the clock moves 1 s.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var backend = new TestBackend(FailFirst(1, Status(503, "down")));
        var log = new RequestLogRecorder();
        var policy = new RetryPolicy { NumRetries = 1, RetryOn = RetryConditions.ServerError, BackoffBase = TimeSpan.FromSeconds(1) };
        await using var proxy = await StartAsync(Cluster(backend.EndPoint), policy, log, time: time);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Get);

        // The first attempt's answer was dropped with its connection: the proxy is now in the back-off.
        await FailureTests.PollAsync(() => backend.Requests.Count == 1 && backend.OpenConnections == 0);

        // A negative check needs a window of real time: the clock stands still, so no retry may go out in it.
        await Task.Delay(200);
        Assert.Single(backend.Requests);

        time.Advance(TimeSpan.FromSeconds(1));
        await FailureTests.PollAsync(() => backend.Requests.Count == 2);
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        Assert.Equal(2, (await log.WaitForAsync(1)).Attempts);
    }

    [Fact]
    public async Task Backoff_RouteTimeoutFiresDuringIt_504UT()
    {
        // The route timeout covers the back-off too (router docs: "the retry (including backoff)"). A 10-day base makes
        // the back-off outlast the 1 s route timeout but for a 1-in-a-million draw.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var backend = new TestBackend(_ => Status(503, "down"));
        var log = new RequestLogRecorder();
        var policy = new RetryPolicy { NumRetries = 1, RetryOn = RetryConditions.ServerError, BackoffBase = TimeSpan.FromDays(10) };
        await using var proxy = await StartAsync(Cluster(backend.EndPoint), policy, log, timeout: TimeSpan.FromSeconds(1), time: time);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Get);
        await FailureTests.PollAsync(() => backend.Requests.Count == 1 && backend.OpenConnections == 0);
        await AdvanceUntilAsync(time, () => proxy.Server.Statistics.RouteTimeouts == 1, TimeSpan.FromMilliseconds(250));

        var response = await client.ReadResponseAsync();
        Assert.Equal(504, response.Status);
        Assert.Equal("upstream request timeout", response.BodyText);
        Assert.Equal("UT", RequestLogRecorder.Flags(await log.WaitForAsync(1)));
        Assert.Single(backend.Requests);

        // The connection is usable: the next request gets its own deadline and back-off.
        await client.SendAsync(Get);
        await FailureTests.PollAsync(() => backend.Requests.Count == 2);
        await AdvanceUntilAsync(time, () => proxy.Server.Statistics.RouteTimeouts == 2, TimeSpan.FromMilliseconds(250));
        Assert.Equal(504, (await client.ReadResponseAsync()).Status);
    }
}
