using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http.Retries;

public sealed class RetrySmokeTests
{
    [Fact]
    public async Task FailingEndpoint_RetriedOnTheOther()
    {
        await using var bad = new TestBackend(_ => BackendReply.Raw("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"));
        await using var good = new TestBackend();
        var cluster = ProxyFixture.Cluster("c", bad.EndPoint, good.EndPoint);
        var log = new RequestLogRecorder();
        var route = new HttpRoute("r", [new WeightedCluster(cluster, 100)])
        {
            Retry = new RetryPolicy { NumRetries = 2, RetryOn = RetryConditions.GatewayError, BackoffBase = TimeSpan.Zero },
        };
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "/", route), [cluster], new ProxyServerOptions { RequestLog = log });
        await using var client = await proxy.ConnectAsync();
        for (var i = 0; i < 10; i++)
        {
            await client.SendAsync("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
            var response = await client.ReadResponseAsync();
            Assert.Equal(200, response.Status);
        }

        var record = await log.WaitForAsync(10);
        Assert.Equal(200, record.StatusCode);
        Assert.True(proxy.Server.Statistics.Retries > 0);
        Assert.All(good.Requests, r => Assert.NotNull(r.Header("x-envoy-attempt-count")));
    }

    [Fact]
    public async Task AttemptCount_SentWithoutAPolicy_ClientValueReplaced()
    {
        // Istio sets include_request_attempt_count on every gateway virtual host (gateway.go); Envoy sets the header,
        // replacing whatever the client sent.
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("c", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\nX-Envoy-Attempt-Count: 7\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        var request = Assert.Single(backend.Requests);
        Assert.Equal(1, request.HeaderCount("x-envoy-attempt-count"));
        Assert.Equal("1", request.Header("x-envoy-attempt-count"));
    }
}
