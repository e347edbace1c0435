using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Tests.Http.Retries;
using Proxy.Engine.Tests.Infrastructure;
using static Proxy.Engine.Tests.Http.CircuitBreakers.BreakerProxy;

namespace Proxy.Engine.Tests.Http.CircuitBreakers;

/// <summary>
/// Istio's connectionPool circuit breakers on the HTTP path, end to end: client -> proxy -> a real backend that holds
/// requests until the test lets them go, so which request holds the connection, which waits and which overflows is
/// known. After each test every breaker count is back to rest.
/// </summary>
public sealed class HttpOverflowTests
{
    [Fact]
    public async Task MaxConnectionsAndPendingFull_SecondWaitsAndIsServed_ThirdOverflowsAtOnce()
    {
        // Envoy, "Circuit breaking": with max_connections reached a request is added to the pending list and served by
        // a connection a finished request releases; when max_pending_requests is reached too, the request fails at once
        // (upstream_rq_pending_overflow) with 503, flag UO, "x-envoy-overloaded: true" and the router's local reply body
        // "upstream connect error or disconnect/reset before headers. reset reason: overflow".
        using var release = new ManualResetEventSlim();
        await using var backend = SlowBackend(release);
        var cluster = Cluster(backend, new() { MaxConnections = 1, MaxPendingRequests = 1 });
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(cluster, log);
        var state = cluster.State!;
        await using var first = await proxy.ConnectAsync();
        await using var second = await proxy.ConnectAsync();
        await using var third = await proxy.ConnectAsync();

        await first.SendAsync(Get("/slow"));
        await FailureTests.PollAsync(() => backend.Requests.Count == 1);
        await second.SendAsync(Get("/second"));
        await FailureTests.PollAsync(() => state.PendingRequests == 1);

        // The third is answered while the first still holds the only connection: it did not queue.
        await third.SendAsync(Get("/third"));
        var overflow = await third.ReadResponseAsync();
        Assert.Equal(503, overflow.Status);
        Assert.Equal(Overflow, overflow.BodyText);
        Assert.Equal("true", overflow.Header("x-envoy-overloaded"));
        Assert.Null(overflow.Header("connection"));
        var record = await log.WaitForAsync(1);
        Assert.Equal(503, record.StatusCode);
        Assert.Equal("UO", RequestLogRecorder.Flags(record));
        Assert.Equal(1, proxy.Server.Statistics.PendingOverflows);
        Assert.Single(backend.Requests);
        Assert.Equal(1, state.PendingRequests);

        release.Set();
        Assert.Equal("/slow", (await first.ReadResponseAsync()).BodyText);
        Assert.Equal("/second", (await second.ReadResponseAsync()).BodyText);

        // The waiting request was handed the connection the first one returned.
        Assert.Equal(1, backend.ConnectionCount);
        Assert.Equal(["/slow", "/second"], backend.Requests.Select(r => r.Target));

        // The overflowed client's connection stayed open and is served once there is room.
        await AssertAtRestAsync(state);
        await third.SendAsync(Get("/third-again"));
        var served = await third.ReadResponseAsync();
        Assert.Equal(200, served.Status);
        Assert.Equal("/third-again", served.BodyText);
        await AssertAtRestAsync(state);
        Assert.Equal(1, state.OpenConnections);
    }

    [Fact]
    public async Task MaxRequestsFull_NextRequestOverflowsAtOnce_ClientConnectionStaysUsable()
    {
        // Envoy, "Circuit breaking": cluster maximum requests (Istio http2MaxRequests, applied to HTTP/1.1 too): a
        // request over it fails at once (upstream_rq_overflow), 503 UO with x-envoy-overloaded.
        using var release = new ManualResetEventSlim();
        await using var backend = SlowBackend(release);
        var cluster = Cluster(backend, new() { MaxRequests = 1 });
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(cluster, log);
        var state = cluster.State!;
        await using var first = await proxy.ConnectAsync();
        await using var second = await proxy.ConnectAsync();

        await first.SendAsync(Get("/slow"));
        await FailureTests.PollAsync(() => backend.Requests.Count == 1);
        Assert.Equal(1, state.ActiveRequests);

        await second.SendAsync(Get("/second"));
        var overflow = await second.ReadResponseAsync();
        Assert.Equal(503, overflow.Status);
        Assert.Equal(Overflow, overflow.BodyText);
        Assert.Equal("true", overflow.Header("x-envoy-overloaded"));
        Assert.Equal("UO", RequestLogRecorder.Flags(await log.WaitForAsync(1)));
        Assert.Equal(1, proxy.Server.Statistics.RequestOverflows);
        Assert.Equal(0, proxy.Server.Statistics.PendingOverflows);
        Assert.Single(backend.Requests);

        release.Set();
        Assert.Equal(200, (await first.ReadResponseAsync()).Status);
        await AssertAtRestAsync(state);

        await second.SendAsync(Get("/second-again"));
        Assert.Equal("/second-again", (await second.ReadResponseAsync()).BodyText);
        await AssertAtRestAsync(state);
    }

    [Fact]
    public async Task PendingRequestWhoseRouteTimeoutFires_Gets504UT_AndFreesItsPendingSlot()
    {
        // Envoy: the route timeout runs from the end of the downstream request, time spent pending for a connection
        // included; on expiry the pending request is cancelled and answered 504 "upstream request timeout", flag UT
        // (router.cc onResponseTimeout). Its pending slot is released with the cancelled pool request.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var release = new ManualResetEventSlim();
        await using var backend = SlowBackend(release);
        var cluster = Cluster(backend, new() { MaxConnections = 1, MaxPendingRequests = 1 });
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(cluster, log, time, timedRoute: TimeSpan.FromSeconds(5));
        var state = cluster.State!;
        await using var holder = await proxy.ConnectAsync();
        await using var waiter = await proxy.ConnectAsync();
        await using var next = await proxy.ConnectAsync();

        // The holder's route has no timeout, so only the waiter's deadline runs on the fake clock.
        await holder.SendAsync(Get("/slow"));
        await FailureTests.PollAsync(() => backend.Requests.Count == 1);
        await waiter.SendAsync(Get("/timed"));
        await FailureTests.PollAsync(() => state.PendingRequests == 1);

        await RetryTestKit.AdvanceUntilAsync(time, () => proxy.Server.Statistics.RouteTimeouts == 1);
        var timedOut = await waiter.ReadResponseAsync();
        Assert.Equal(504, timedOut.Status);
        Assert.Equal("upstream request timeout", timedOut.BodyText);
        var record = await log.WaitForAsync(1);
        Assert.Equal("UT", RequestLogRecorder.Flags(record));
        await FailureTests.PollAsync(() => state.PendingRequests == 0);

        // The slot is free: the next request waits instead of overflowing, and is served when the holder finishes.
        await next.SendAsync(Get("/next"));
        await FailureTests.PollAsync(() => state.PendingRequests == 1);
        Assert.Equal(0, proxy.Server.Statistics.PendingOverflows);
        release.Set();
        Assert.Equal("/slow", (await holder.ReadResponseAsync()).BodyText);
        Assert.Equal("/next", (await next.ReadResponseAsync()).BodyText);
        Assert.Equal(["/slow", "/next"], backend.Requests.Select(r => r.Target));

        // A 504 to a complete request leaves the client connection open (Envoy's local reply keeps the stream's
        // connection).
        await waiter.SendAsync(Get("/after"));
        Assert.Equal("/after", (await waiter.ReadResponseAsync()).BodyText);
        await AssertAtRestAsync(state);
    }

    [Fact]
    public async Task ClientLeavesWhilePending_FreesItsSlot_DC()
    {
        // Envoy: a downstream reset while the request waits in the pool cancels the pending pool request
        // (upstream_rq_cancelled); the request is logged with flag DC and no status. The pending slot is freed at once.
        using var release = new ManualResetEventSlim();
        await using var backend = SlowBackend(release);
        var cluster = Cluster(backend, new() { MaxConnections = 1, MaxPendingRequests = 1 });
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(cluster, log);
        var state = cluster.State!;
        await using var holder = await proxy.ConnectAsync();

        await holder.SendAsync(Get("/slow"));
        await FailureTests.PollAsync(() => backend.Requests.Count == 1);
        var leaving = await proxy.ConnectAsync();
        await leaving.SendAsync(Get("/gone"));
        await FailureTests.PollAsync(() => state.PendingRequests == 1);

        await leaving.DisposeAsync();
        await FailureTests.PollAsync(() => state.PendingRequests == 0 && state.Endpoints[0].Pool.WaitingCount == 0);
        var record = await log.WaitForAsync(1);
        Assert.Equal(0, record.StatusCode);
        Assert.Equal("DC", RequestLogRecorder.Flags(record));

        // The slot is free while the holder still has the connection: another request can wait again.
        await using var next = await proxy.ConnectAsync();
        await next.SendAsync(Get("/next"));
        await FailureTests.PollAsync(() => state.PendingRequests == 1);
        release.Set();
        Assert.Equal(200, (await holder.ReadResponseAsync()).Status);
        Assert.Equal("/next", (await next.ReadResponseAsync()).BodyText);
        Assert.Equal(["/slow", "/next"], backend.Requests.Select(r => r.Target));
        Assert.Equal(0, proxy.Server.Statistics.PendingOverflows);
        await AssertAtRestAsync(state);
    }

    [Fact]
    public async Task MaxRequestsPerConnectionOne_EveryRequestOpensAConnection_AndClosesIt()
    {
        // Istio connectionPool.http.maxRequestsPerConnection: "Setting this parameter to 1 disables keep alive"
        // (Envoy max_requests_per_connection): each upstream connection carries one request and is then closed.
        await using var backend = new TestBackend(r => BackendReply.Ok(r.Target));
        var cluster = Cluster(backend, Config.CircuitBreakerThresholds.Unlimited, maxRequestsPerConnection: 1);
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(cluster, log);
        var state = cluster.State!;
        await using var client = await proxy.ConnectAsync();

        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync(Get("/r" + i));
            Assert.Equal("/r" + i, (await client.ReadResponseAsync()).BodyText);
        }

        Assert.Equal(3, backend.ConnectionCount);
        Assert.Equal(3, backend.Requests.Select(r => r.ConnectionId).Distinct().Count());
        await FailureTests.PollAsync(() => backend.OpenConnections == 0);
        Assert.Equal(3, proxy.Server.Statistics.MaxRequestsClosed);
        await AssertAtRestAsync(state);
        Assert.Equal(0, state.OpenConnections);
    }
}
