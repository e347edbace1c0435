using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Http;
using Proxy.Engine.Tests.Http.Retries;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Upstream.Outlier;

/// <summary>Local-origin results as the forwarder reports them per attempt, through the proxy over loopback.</summary>
public sealed class LocalOriginEndToEndTests
{
    [Fact]
    public async Task Split_TimeoutsOnReusedConnections_EachAttemptsReadyConnectionResetsTheRun()
    {
        // Envoy UpstreamRequest::onPoolReady reports LocalOriginConnectSuccess for every stream, on a new or a reused
        // connection; split, that is localOriginNoFailure, which resets the consecutive local-origin run. A timeout then
        // counts one (localOriginFailure), so two timeouts on two ready connections leave the run at one: no ejection.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var held = new ManualResetEventSlim();
        using var hung = new ManualResetEventSlim();
        await using var backend = new TestBackend(r =>
        {
            if (r.Target == "/held")
            {
                held.Wait(TestTimeouts.Default);
            }
            else if (r.Target == "/hang")
            {
                hung.Wait(TestTimeouts.Default);
            }

            return BackendReply.Ok(r.Target);
        });
        var plain = ProxyFixture.Cluster("split", backend.EndPoint);
        var cluster = new ClusterConfig
        {
            Name = plain.Name,
            Endpoints = plain.Endpoints,
            OutlierDetection = new OutlierDetectionConfig
            {
                SplitExternalLocalOriginErrors = true,
                ConsecutiveLocalOriginFailures = 2,
                MaxEjectionPercent = 100,
            },
        };
        var route = new HttpRoute("r", [new WeightedCluster(cluster, 100)]) { Timeout = TimeSpan.FromSeconds(5) };
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "/", route), [cluster], new ProxyServerOptions { TimeProvider = time });
        var endpoint = cluster.State!.Endpoints[0];

        try
        {
            // Two pooled connections: one request holds the first while another opens the second.
            await using var first = await proxy.ConnectAsync();
            await using var second = await proxy.ConnectAsync();
            await first.SendAsync("GET /held HTTP/1.1\r\nHost: a\r\n\r\n");
            await FailureTests.PollAsync(() => backend.Requests.Count == 1);
            await second.SendAsync("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(200, (await second.ReadResponseAsync()).Status);
            held.Set();
            Assert.Equal(200, (await first.ReadResponseAsync()).Status);
            await FailureTests.PollAsync(() => endpoint.Pool.IdleCount == 2);

            // Each hanging request reuses one of them and times out.
            for (var i = 1; i <= 2; i++)
            {
                await first.SendAsync("GET /hang HTTP/1.1\r\nHost: a\r\n\r\n");
                await FailureTests.PollAsync(() => backend.Requests.Count == 2 + i);
                await RetryTestKit.AdvanceUntilAsync(time, () => proxy.Server.Statistics.RouteTimeouts == i);
                Assert.Equal(504, (await first.ReadResponseAsync()).Status);
            }

            Assert.Equal(2, backend.ConnectionCount);
            Assert.False(endpoint.IsEjected);
            Assert.Equal(1, endpoint.ConsecutiveLocalOriginFailures);
            Assert.Equal(0, proxy.Server.Statistics.OutlierEjections);
        }
        finally
        {
            hung.Set();
        }
    }
}
