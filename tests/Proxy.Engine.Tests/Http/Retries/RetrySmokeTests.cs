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
}
