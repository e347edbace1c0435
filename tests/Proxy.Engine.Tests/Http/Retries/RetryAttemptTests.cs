using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;
using static Proxy.Engine.Tests.Http.Retries.RetryTestKit;

namespace Proxy.Engine.Tests.Http.Retries;

/// <summary>How many attempts a request gets, what the client sees when they run out, and where retries go.</summary>
public sealed class RetryAttemptTests
{
    [Fact]
    public async Task EveryAttemptFails_LastUpstreamResponseForwarded_URX()
    {
        // Envoy: num_retries 2 makes at most 3 attempts; once retries are used up the last upstream response is
        // forwarded (router.cc onUpstreamHeaders: NoRetryLimitExceeded sets UpstreamRetryLimitExceeded, URX), and each
        // attempt carries x-envoy-attempt-count (include_request_attempt_count, as Istio sets it).
        var served = 0;
        await using var backend = new TestBackend(_ => Status(503, "busy-" + Interlocked.Increment(ref served)));
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(Cluster(backend.EndPoint), Policy(RetryConditions.GatewayError, retries: 2), log);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Get);
        var response = await client.ReadResponseAsync();
        Assert.Equal(503, response.Status);
        Assert.Equal("busy-3", response.BodyText);
        Assert.Equal(3, backend.Requests.Count);
        Assert.Equal(["1", "2", "3"], AttemptCounts(backend));

        var record = await log.WaitForAsync(1);
        Assert.Equal(503, record.StatusCode);
        Assert.Equal(3, record.Attempts);
        Assert.Equal("URX", RequestLogRecorder.Flags(record));
        Assert.Equal(2, proxy.Server.Statistics.Retries);
        Assert.Equal(1, proxy.Server.Statistics.RetriesExhausted);
    }

    [Fact]
    public async Task ConnectFailureEveryAttempt_Local503_UFAndURX()
    {
        // Envoy: a connect failure with no retry left answers 503 "upstream connect error or disconnect/reset before
        // headers. reset reason: connection failure" with flags UF,URX.
        using var refusing = new RefusingEndpoint();
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(Cluster(refusing.EndPoint), Policy(RetryConditions.ConnectFailure, retries: 2), log);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Get);
        var response = await client.ReadResponseAsync();
        Assert.Equal(503, response.Status);
        Assert.Equal("upstream connect error or disconnect/reset before headers. reset reason: connection failure", response.BodyText);
        var record = await log.WaitForAsync(1);
        Assert.Equal("UF,URX", RequestLogRecorder.Flags(record));
        Assert.Equal(3, record.Attempts);
        Assert.Equal(3, proxy.Server.Statistics.UpstreamConnectFailures);

        // A local answer to a complete request keeps the client connection.
        await client.SendAsync(Get);
        Assert.Equal(503, (await client.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task NoRetries_503Forwarded_NotRetried()
    {
        // Istio: attempts 0 disables retries; the policy's conditions then change nothing.
        await using var backend = new TestBackend(FailFirst(1, Status(503, "down")));
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(Cluster(backend.EndPoint), Policy(RetryConditions.ServerError, retries: 0), log);
        await using var client = await proxy.ConnectAsync();
        await client.SendAsync(Get);
        Assert.Equal(503, (await client.ReadResponseAsync()).Status);
        Assert.Single(backend.Requests);
        Assert.Equal("-", RequestLogRecorder.Flags(await log.WaitForAsync(1)));
        Assert.Equal(0, proxy.Server.Statistics.RetriesExhausted);
    }

    [Fact]
    public async Task TwoEndpointsOneFailing_EveryRequestSucceeds_FailingTriedAtMostOncePerRequest()
    {
        // Envoy's previous_hosts retry predicate (Istio retryIgnorePreviousHosts, default true): a retry picks an
        // endpoint not tried yet when one exists (host_selection_retry_max_attempts 5).
        await using var bad = new TestBackend(_ => Status(503, "bad"));
        await using var good = new TestBackend();
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(Cluster(bad.EndPoint, good.EndPoint), Policy(RetryConditions.GatewayError, retries: 3), log);
        await using var client = await proxy.ConnectAsync();
        const int requests = 10;
        for (var i = 0; i < requests; i++)
        {
            await client.SendAsync(Get);
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        }

        await log.WaitForAsync(requests);
        Assert.All(log.Records, r => Assert.InRange(r.Attempts, 1, 2));
        Assert.Equal(log.Records.Count(r => r.Attempts == 2), bad.Requests.Count);
        Assert.False(bad.Requests.IsEmpty);
        Assert.Equal(requests, good.Requests.Count);
        Assert.All(good.Requests, r => Assert.Contains(r.Header("x-envoy-attempt-count"), new[] { "1", "2" }));
    }

    [Fact]
    public async Task AllEndpointsTried_RetryReusesOne()
    {
        // The previous-hosts predicate only prefers untried endpoints: with every endpoint tried, Envoy still retries
        // (the last pick is used), so three retries over two failing endpoints make four attempts.
        await using var a = new TestBackend(_ => Status(503, "a"));
        await using var b = new TestBackend(_ => Status(503, "b"));
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(Cluster(a.EndPoint, b.EndPoint), Policy(RetryConditions.GatewayError, retries: 3), log);
        await using var client = await proxy.ConnectAsync();
        await client.SendAsync(Get);
        Assert.Equal(503, (await client.ReadResponseAsync()).Status);
        var record = await log.WaitForAsync(1);
        Assert.Equal(4, record.Attempts);
        Assert.Equal(4, a.Requests.Count + b.Requests.Count);
        Assert.False(a.Requests.IsEmpty || b.Requests.IsEmpty);
        Assert.Equal("URX", RequestLogRecorder.Flags(record));
    }
}
