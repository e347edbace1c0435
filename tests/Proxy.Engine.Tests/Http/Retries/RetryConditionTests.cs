using Proxy.Engine.Http;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;
using static Proxy.Engine.Tests.Http.Retries.RetryTestKit;

namespace Proxy.Engine.Tests.Http.Retries;

/// <summary>
/// Each retryOn condition against a real upstream that fails its first request (Envoy router docs, x-envoy-retry-on, and
/// retry_state_impl.cc wouldRetryFromHeaders / wouldRetryFromReset).
/// </summary>
public sealed class RetryConditionTests
{
    private static async Task<(int Status, string Body, int UpstreamRequests, RequestRecord Record)> RunAsync(
        RetryConditions on, BackendReply failure, IReadOnlyList<int>? codes = null)
    {
        await using var backend = new TestBackend(FailFirst(1, failure));
        var log = new RequestLogRecorder();
        var policy = new RetryPolicy { NumRetries = 2, RetryOn = on, BackoffBase = TimeSpan.Zero, RetriableStatusCodes = codes ?? [] };

        await using var proxy = await StartAsync(Cluster(backend.EndPoint), policy, log);
        await using var client = await proxy.ConnectAsync();
        await client.SendAsync(Get);
        var response = await client.ReadResponseAsync();
        var record = await log.WaitForAsync(1);
        return (response.Status, response.BodyText, backend.Requests.Count, record);
    }

    [Fact]
    public async Task ServerError_500_Retried()
    {
        // Envoy: "5xx: Envoy will attempt a retry if the upstream server responds with any 5xx response code".
        var (status, body, upstream, record) = await RunAsync(RetryConditions.ServerError, Status(500, "boom"));
        Assert.Equal(200, status);
        Assert.Equal("ok:", body);
        Assert.Equal(2, upstream);
        Assert.Equal(2, record.Attempts);
        Assert.Equal("-", RequestLogRecorder.Flags(record));
    }

    [Theory]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task GatewayError_502To504_Retried(int code)
    {
        // Envoy: "gateway-error: ... will only retry if the upstream responds with 502, 503 or 504".
        var (status, _, upstream, record) = await RunAsync(RetryConditions.GatewayError, Status(code, "gw"));
        Assert.Equal(200, status);
        Assert.Equal(2, upstream);
        Assert.Equal(2, record.Attempts);
    }

    [Fact]
    public async Task GatewayError_500_NotRetried()
    {
        // Envoy: gateway-error is "similar to the 5xx policy" but limited to 502, 503 and 504 (isGatewayError).
        var (status, body, upstream, record) = await RunAsync(RetryConditions.GatewayError, Status(500, "boom"));
        Assert.Equal(500, status);
        Assert.Equal("boom", body);
        Assert.Equal(1, upstream);
        Assert.Equal(1, record.Attempts);
        Assert.Equal("-", RequestLogRecorder.Flags(record));
    }

    public static TheoryData<string> Resets => ["close", "reset", "reset-mid-head"];

    [Theory]
    [MemberData(nameof(Resets))]
    public async Task Reset_NoResponse_Retried(string how)
    {
        // Envoy: "reset: Envoy will attempt a retry if the upstream server does not respond at all
        // (disconnect/reset/read timeout.)" (wouldRetryFromReset: RETRY_ON_RESET).
        var failure = how switch
        {
            "close" => CloseWithoutReply,
            "reset" => ResetBeforeHeaders,
            _ => ResetMidHead,
        };
        var (status, _, upstream, record) = await RunAsync(RetryConditions.Reset, failure);
        Assert.Equal(200, status);
        Assert.Equal(2, upstream);
        Assert.Equal(2, record.Attempts);
    }

    [Fact]
    public async Task Reset_RetriedUnder5xxAndGatewayErrorToo()
    {
        // wouldRetryFromReset: "we count an upstream reset as a 5xx (since it will result in one)".
        Assert.Equal(200, (await RunAsync(RetryConditions.ServerError, CloseWithoutReply)).Status);
        Assert.Equal(200, (await RunAsync(RetryConditions.GatewayError, ResetBeforeHeaders)).Status);
    }

    [Fact]
    public async Task Reset_ConditionNotConfigured_NotRetried_503UC()
    {
        // Only connect-failure configured: a reset after the connection was made is not a connect failure
        // (wouldRetryFromReset checks ConnectionFailure for it). Envoy answers 503 UC "connection termination".
        var (status, body, upstream, record) = await RunAsync(RetryConditions.ConnectFailure, CloseWithoutReply);
        Assert.Equal(503, status);
        Assert.Contains("reset reason: connection termination", body, StringComparison.Ordinal);
        Assert.Equal(1, upstream);
        Assert.Equal("UC", RequestLogRecorder.Flags(record));
    }

    [Fact]
    public async Task ConnectFailure_RefusingEndpoint_RetriedOnTheOther()
    {
        // Envoy: "connect-failure: Envoy will attempt a retry if a request is failed because of a connection failure
        // to the upstream server (connect timeout, etc.)". Round robin starts at the first endpoint: the refusing one.
        using var refusing = new RefusingEndpoint();
        await using var good = new TestBackend();
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(Cluster(refusing.EndPoint, good.EndPoint), Policy(RetryConditions.ConnectFailure), log);
        await using var client = await proxy.ConnectAsync();
        for (var i = 0; i < 4; i++)
        {
            await client.SendAsync(Get);
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        }

        await log.WaitForAsync(4);
        Assert.Equal(2, log.Records.First().Attempts);
        Assert.All(log.Records, r => Assert.InRange(r.Attempts, 1, 2));
        Assert.True(proxy.Server.Statistics.UpstreamConnectFailures >= 1);
    }

    [Fact]
    public async Task ConnectFailure_ConditionNotConfigured_NotRetried_503UF()
    {
        // retriable-4xx says nothing about connections: the connect failure is answered 503 UF at once, without URX
        // (URX is set only when a retry was wanted and none was left).
        using var refusing = new RefusingEndpoint();
        await using var good = new TestBackend();
        var log = new RequestLogRecorder();
        await using var proxy = await StartAsync(Cluster(refusing.EndPoint, good.EndPoint), Policy(RetryConditions.Retriable4xx), log);
        await using var client = await proxy.ConnectAsync();
        await client.SendAsync(Get);
        var response = await client.ReadResponseAsync();
        Assert.Equal(503, response.Status);
        Assert.Contains("reset reason: connection failure", response.BodyText, StringComparison.Ordinal);
        Assert.Equal("UF", RequestLogRecorder.Flags(await log.WaitForAsync(1)));
        Assert.Empty(good.Requests);
        Assert.Equal(0, proxy.Server.Statistics.Retries);
    }

    [Fact]
    public async Task Retriable4xx_409Retried_Other4xxNot()
    {
        // Envoy: "retriable-4xx: Envoy will attempt a retry if the upstream server responds with a retriable 4xx
        // response code. Currently, the only response code in this category is 409."
        var (status, _, upstream, _) = await RunAsync(RetryConditions.Retriable4xx, Status(409, "conflict"));
        Assert.Equal(200, status);
        Assert.Equal(2, upstream);

        (status, _, upstream, _) = await RunAsync(RetryConditions.Retriable4xx, Status(429, "slow down"));
        Assert.Equal(429, status);
        Assert.Equal(1, upstream);
    }

    [Fact]
    public async Task RetriableStatusCodes_ListedRetried_UnlistedNot()
    {
        // Envoy: "retriable-status-codes: Envoy will attempt a retry if the upstream server responds with any response
        // code matching one defined in either the retry policy or in the x-envoy-retriable-status-codes header."
        int[] codes = [418, 429];
        Assert.Equal(200, (await RunAsync(RetryConditions.RetriableStatusCodes, Status(418, "teapot"), codes)).Status);
        Assert.Equal(200, (await RunAsync(RetryConditions.RetriableStatusCodes, Status(429, "slow"), codes)).Status);

        var (status, _, upstream, _) = await RunAsync(RetryConditions.RetriableStatusCodes, Status(500, "boom"), codes);
        Assert.Equal(500, status);
        Assert.Equal(1, upstream);
    }

    [Fact]
    public async Task EnvoyRateLimited_HeaderRetriedOnlyUnderItsCondition()
    {
        // retry_state_impl.cc: "A response that contains the x-envoy-ratelimited header comes from an upstream envoy.
        // We retry these only when the envoy-ratelimited policy is in effect." -- even when 5xx or the status list
        // would otherwise match.
        var limited = Status(503, "limited", "x-envoy-ratelimited: true");
        var (status, _, upstream, _) = await RunAsync(RetryConditions.EnvoyRateLimited, limited);
        Assert.Equal(200, status);
        Assert.Equal(2, upstream);

        (status, _, upstream, _) = await RunAsync(RetryConditions.ServerError | RetryConditions.GatewayError, limited);
        Assert.Equal(503, status);
        Assert.Equal(1, upstream);

        (status, _, upstream, _) = await RunAsync(RetryConditions.RetriableStatusCodes, Status(429, "limited", "x-envoy-ratelimited: true"), [429]);
        Assert.Equal(429, status);
        Assert.Equal(1, upstream);
    }

    [Fact]
    public async Task EnvoyOverloaded_NeverRetried()
    {
        // Envoy router docs, x-envoy-overloaded: "If this header is set by upstream, Envoy will not retry."
        var overloaded = Status(503, "overloaded", "x-envoy-overloaded: true");
        var all = RetryConditions.ServerError | RetryConditions.GatewayError | RetryConditions.RetriableStatusCodes | RetryConditions.EnvoyRateLimited;
        var (status, body, upstream, record) = await RunAsync(all, overloaded, [503]);
        Assert.Equal(503, status);
        Assert.Equal("overloaded", body);
        Assert.Equal(1, upstream);
        Assert.Equal("-", RequestLogRecorder.Flags(record));
    }

    [Fact]
    public async Task ConditionNotConfigured_ResponseForwardedAsIs()
    {
        // Envoy retries only on the conditions in retry_on: a 503 under retriable-4xx alone is the answer.
        var (status, body, upstream, record) = await RunAsync(RetryConditions.Retriable4xx, Status(503, "down"));
        Assert.Equal(503, status);
        Assert.Equal("down", body);
        Assert.Equal(1, upstream);
        Assert.Equal(1, record.Attempts);
        Assert.Equal("-", RequestLogRecorder.Flags(record));
    }
}
