using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Http;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Upstream.CircuitBreakers;

/// <summary>Mirrored copies are requests of the mirror cluster and obey its circuit breakers.</summary>
public sealed class MirrorBreakerTests
{
    [Theory]
    [InlineData(0, int.MaxValue)]
    [InlineData(int.MaxValue, 0)]
    public async Task Mirror_MirrorClusterBreakerFull_CopyCountedFailedAndPrimaryUnaffected(int maxRequests, int maxPending)
    {
        // Envoy sends a shadow through the router to the mirror cluster like any request, so that cluster's
        // circuit breakers (requests, pending requests) apply to it; an overflowing copy is simply not sent.
        await using var primary = new TestBackend();
        await using var mirror = new TestBackend();
        var primaryCluster = ProxyFixture.Cluster("primary", primary.EndPoint);
        var mirrorCluster = new ClusterConfig
        {
            Name = "mirror",
            Endpoints = [new EndpointConfig(mirror.EndPoint.Address.ToString(), mirror.EndPoint.Port)],
            CircuitBreakers = new() { MaxRequests = maxRequests, MaxPendingRequests = maxPending },
        };
        var route = new HttpRoute("r", [new WeightedCluster(primaryCluster, 100)]) { Mirrors = [new MirrorPolicy(mirrorCluster)] };
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", route), [primaryCluster, mirrorCluster]);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        var statistics = proxy.Server.Statistics;
        await FailureTests.PollAsync(() => statistics.MirrorsFailed == 1 && proxy.Server.MirrorsInFlight == 0);
        Assert.Equal(maxRequests == 0 ? 1 : 0, statistics.RequestOverflows);
        Assert.Equal(maxPending == 0 ? 1 : 0, statistics.PendingOverflows);
        Assert.Equal(0, mirror.ConnectionCount);
        Assert.Single(primary.Requests);
        var state = mirrorCluster.State!;
        Assert.Equal(0, state.ActiveRequests);
        Assert.Equal(0, state.PendingRequests);
        Assert.Equal(0, state.OpenConnections);
    }
}
