using System.Net;
using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Http.CircuitBreakers;
using Proxy.Engine.Tests.Infrastructure;
using static Proxy.Engine.Tests.Http.Retries.RetryTestKit;

namespace Proxy.Engine.Tests.Http.Retries;

/// <summary>
/// Retries where they meet the other policies, end to end over loopback: the cluster's MaxRetries circuit breaker, and
/// outlier detection (retries skip ejected endpoints, all ejected is 503 UH, panic routes to ejected ones again, a
/// per-try timeout counts toward ejection).
/// </summary>
public sealed class RetryInteractionTests
{
    private static readonly RetryPolicy GatewayErrors = Policy(RetryConditions.GatewayError, retries: 2);

    [Fact]
    public async Task MaxRetriesOne_TwoFailingRequests_SecondRetryRefused_FailedAnswerWithUO()
    {
        // Envoy RetryStateImpl::shouldRetry: when the cluster's retries resource (max_retries, Istio http.maxRetries)
        // cannot create another, upstream_rq_retry_overflow increments and the status is NoOverflow; the router then
        // sets flag UO (UpstreamOverflow) and forwards the failed attempt's response. The slot is held from the retry
        // decision until the retried attempt ends (resetRetry).
        using var release = new ManualResetEventSlim();
        await using var backend = new TestBackend(r => r.Target switch
        {
            "/a" when r.Header("x-envoy-attempt-count") == "1" => Status(503, "a-failed"),
            "/a" => Hold(release, "a-ok"),
            _ => Status(503, "b-failed"),
        });
        var plain = Cluster(backend.EndPoint);
        var cluster = new ClusterConfig { Name = plain.Name, Endpoints = plain.Endpoints, CircuitBreakers = new() { MaxRetries = 1 } };
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(cluster, GatewayErrors, log);
        var state = cluster.State!;
        await using var a = await proxy.ConnectAsync();
        await using var b = await proxy.ConnectAsync();

        // A's first attempt fails and its retry holds the one retry slot while the backend keeps it.
        await a.SendAsync("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
        await FailureTests.PollAsync(() => backend.Requests.Count(r => r.Target == "/a") == 2);
        Assert.Equal(1, state.ActiveRetries);

        await b.SendAsync("GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
        var refused = await b.ReadResponseAsync();
        Assert.Equal(503, refused.Status);
        Assert.Equal("b-failed", refused.BodyText);
        var bRecord = await log.WaitForAsync(1);
        Assert.Equal("UO", RequestLogRecorder.Flags(bRecord));
        Assert.Equal(1, bRecord.Attempts);
        Assert.Single(backend.Requests, r => r.Target == "/b");
        Assert.Equal(1, proxy.Server.Statistics.RetryOverflows);

        release.Set();
        var served = await a.ReadResponseAsync();
        Assert.Equal(200, served.Status);
        Assert.Equal("a-ok", served.BodyText);
        var aRecord = await log.WaitForAsync(2);
        Assert.Equal(2, aRecord.Attempts);
        Assert.Equal("-", RequestLogRecorder.Flags(aRecord));
        Assert.Equal(1, proxy.Server.Statistics.Retries);
        await BreakerProxy.AssertAtRestAsync(state);
    }

    [Fact]
    public async Task EjectedEndpoint_NeitherPicksNorRetriesReachIt_UntilItReturns()
    {
        // Envoy: an endpoint ejected by outlier detection leaves the load balancer's healthy set, so neither a first
        // pick nor a retry's pick (previous_hosts predicate over the same load balancer) can choose it; it returns at
        // the first interval review after base_ejection_time x ejections. maxEjectionPercent 50 allows one of three.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var bad = new TestBackend(_ => Status(503, "bad"));
        var oneFails = 0;
        await using var flaky = new TestBackend(_ => Volatile.Read(ref oneFails) == 1 ? Status(503, "flaky") : BackendReply.Ok("flaky"));
        await using var good = new TestBackend(_ => BackendReply.Ok("good"));
        var cluster = OutlierCluster(
            new OutlierDetectionConfig
            {
                Consecutive5xxErrors = 2,
                Interval = TimeSpan.FromSeconds(10),
                BaseEjectionTime = TimeSpan.FromSeconds(30),
                MaxEjectionPercent = 50,
            },
            bad.EndPoint,
            flaky.EndPoint,
            good.EndPoint);
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(cluster, GatewayErrors, log, time: time);
        await using var client = await proxy.ConnectAsync();
        var badEndpoint = cluster.State!.Endpoints[0];

        // Every 503 of the bad endpoint is retried elsewhere; its second in a row ejects it.
        for (var i = 0; i < 10 && !badEndpoint.IsEjected; i++)
        {
            await client.SendAsync(Get);
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        }

        Assert.True(badEndpoint.IsEjected);
        Assert.Equal(2, bad.Requests.Count);

        // Now the flaky endpoint fails too (it is not ejected: a second ejection would pass 50 %): each of its failures
        // is retried, and the retry goes to the good endpoint, never to the ejected one.
        Volatile.Write(ref oneFails, 1);
        var requestsBefore = log.Records.Count;
        for (var i = 0; i < 8; i++)
        {
            await client.SendAsync(Get);
            Assert.Equal("good", (await client.ReadResponseAsync()).BodyText);
        }

        await log.WaitForAsync(requestsBefore + 8);
        Assert.Contains(log.Records.Skip(requestsBefore), r => r.Attempts == 2);
        Assert.Equal(2, bad.Requests.Count);
        Assert.False(cluster.State.Endpoints[1].IsEjected);
        Assert.True(proxy.Server.Statistics.OutlierEjectionOverflows > 0);

        // The ejection ends at the first review 30 s or more after it; then picks reach the endpoint again (and its 503
        // is retried away).
        Volatile.Write(ref oneFails, 0);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.True(badEndpoint.IsEjected);
        var advanced = 29;
        await FailureTests.PollAsync(() =>
        {
            if (badEndpoint.IsEjected && advanced < 40)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                advanced++;
            }

            return !badEndpoint.IsEjected;
        });

        for (var i = 0; i < 6 && bad.Requests.Count == 2; i++)
        {
            await client.SendAsync(Get);
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        }

        Assert.Equal(3, bad.Requests.Count);
    }

    [Fact]
    public async Task EveryEndpointEjected_RetryAndNextRequest_503NoHealthyUpstream()
    {
        // Envoy: with every host ejected and no panic (Istio minHealthPercent 0, healthy_panic_threshold 0) the load
        // balancer chooses none: a first pick answers 503 "no healthy upstream" flag UH, and so does a retry that finds
        // no host (router.cc doRetry: no connection pool -> sendNoHealthyUpstreamResponse).
        await using var a = new TestBackend(_ => Status(503, "a"));
        await using var b = new TestBackend(_ => Status(503, "b"));
        var cluster = OutlierCluster(
            new OutlierDetectionConfig { Consecutive5xxErrors = 1, MaxEjectionPercent = 100, BaseEjectionTime = TimeSpan.FromMinutes(5) },
            a.EndPoint,
            b.EndPoint);
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(cluster, GatewayErrors, log);
        await using var client = await proxy.ConnectAsync();

        // The first attempt ejects one endpoint, its retry the other; the second retry finds no endpoint.
        await client.SendAsync(Get);
        var first = await client.ReadResponseAsync();
        Assert.Equal(503, first.Status);
        Assert.Equal("no healthy upstream", first.BodyText);
        var record = await log.WaitForAsync(1);
        Assert.Equal("UH", RequestLogRecorder.Flags(record));
        Assert.Equal(2, record.Attempts);
        Assert.Single(a.Requests);
        Assert.Single(b.Requests);

        await client.SendAsync(Get);
        var next = await client.ReadResponseAsync();
        Assert.Equal(503, next.Status);
        Assert.Equal("no healthy upstream", next.BodyText);
        Assert.Equal("UH", RequestLogRecorder.Flags(await log.WaitForAsync(2)));
        Assert.Equal(2, a.Requests.Count + b.Requests.Count);
        Assert.Equal(2, proxy.Server.Statistics.OutlierEjections);
    }

    [Fact]
    public async Task BelowMinHealthPercent_PanicRoutesToTheEjectedEndpointAgain()
    {
        // Istio outlierDetection.minHealthPercent: "When the percentage of healthy hosts in the load balancing pool drops
        // below this threshold, outlier detection will be disabled and the proxy will load balance across all hosts in
        // the pool (healthy and unhealthy)" (Envoy healthy_panic_threshold). One of three ejected leaves 66 % < 70 %.
        await using var bad = new TestBackend(_ => Status(503, "bad"));
        await using var one = new TestBackend(_ => BackendReply.Ok("one"));
        await using var two = new TestBackend(_ => BackendReply.Ok("two"));
        var cluster = OutlierCluster(
            new OutlierDetectionConfig { Consecutive5xxErrors = 1, MaxEjectionPercent = 50, MinHealthPercent = 70, BaseEjectionTime = TimeSpan.FromMinutes(5) },
            bad.EndPoint,
            one.EndPoint,
            two.EndPoint);
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(cluster, retry: null, log);
        await using var client = await proxy.ConnectAsync();
        var badEndpoint = cluster.State!.Endpoints[0];

        var badAnswers = 0;
        for (var i = 0; i < 9; i++)
        {
            await client.SendAsync(Get);
            badAnswers += (await client.ReadResponseAsync()).Status == 503 ? 1 : 0;
        }

        // Round robin over all three, ejected or not: the bad endpoint answered a third of the requests.
        Assert.True(badEndpoint.IsEjected);
        Assert.Equal(1, proxy.Server.Statistics.OutlierEjections);
        Assert.Equal(3, bad.Requests.Count);
        Assert.Equal(3, badAnswers);
        Assert.Equal(3, cluster.State.PickableEndpoints.Length);
    }

    [Fact]
    public async Task PerTryTimeouts_CountTowardEjection_RetriedElsewhere()
    {
        // Envoy router onPerTryTimeout: the host's outlier detector gets LocalOriginTimeout with code 504; without
        // split_external_local_origin_errors that is putHttpResponseCode(504), so two per-try timeouts in a row meet
        // consecutive5xxErrors 2. Under retryOn gateway-error the timed-out attempt is retried on another endpoint.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var silent = new SilentBackend();
        await using var good = new TestBackend(_ => BackendReply.Ok("good"));
        var cluster = OutlierCluster(
            new OutlierDetectionConfig { Consecutive5xxErrors = 2, MaxEjectionPercent = 50, BaseEjectionTime = TimeSpan.FromMinutes(10) },
            silent.EndPoint,
            good.EndPoint);
        var policy = new RetryPolicy
        {
            NumRetries = 1,
            RetryOn = RetryConditions.GatewayError,
            PerTryTimeout = TimeSpan.FromSeconds(1),
            BackoffBase = TimeSpan.Zero,
        };
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(cluster, policy, log, time: time);
        await using var client = await proxy.ConnectAsync();
        var silentEndpoint = cluster.State!.Endpoints[0];

        var statistics = proxy.Server.Statistics;
        var silentBytes = 0L;
        for (var i = 0; i < 8 && !silentEndpoint.IsEjected; i++)
        {
            await client.SendAsync(Get);
            var response = client.ReadResponseAsync();

            // The clock moves only while an attempt waits on the silent endpoint, and only until its per-try timeout
            // fires: moving it while the retry is at the good endpoint would time that attempt out too.
            await FailureTests.PollAsync(() => response.IsCompleted || silent.BytesReceived > silentBytes);
            if (!response.IsCompleted)
            {
                silentBytes = silent.BytesReceived;
                var timeouts = statistics.PerTryTimeouts;
                await AdvanceUntilAsync(time, () => statistics.PerTryTimeouts > timeouts);
            }

            Assert.Equal("good", (await response).BodyText);
        }

        Assert.True(silentEndpoint.IsEjected);
        Assert.Equal(2, proxy.Server.Statistics.PerTryTimeouts);
        await FailureTests.PollAsync(() => silent.ConnectionCount == 2); // the accept can trail the connect
        await FailureTests.PollAsync(() => silent.OpenConnections == 0);

        for (var i = 0; i < 4; i++)
        {
            await client.SendAsync(Get);
            Assert.Equal("good", (await client.ReadResponseAsync()).BodyText);
        }

        Assert.Equal(2, silent.ConnectionCount);
        await BreakerProxy.AssertAtRestAsync(cluster.State);
    }

    private static BackendReply Hold(ManualResetEventSlim release, string body)
    {
        release.Wait(TestTimeouts.Default);
        return BackendReply.Ok(body);
    }

    private static ClusterConfig OutlierCluster(OutlierDetectionConfig outlier, params IPEndPoint[] endpoints)
    {
        var plain = Cluster(endpoints);
        return new ClusterConfig
        {
            Name = plain.Name,
            Endpoints = plain.Endpoints,
            LoadBalancing = LoadBalancingPolicy.RoundRobin,
            OutlierDetection = outlier,
        };
    }
}
