using Proxy.Engine.Config;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Upstream;

/// <summary>Consistent hashing through the proxy: client -> proxy -> three real backends over loopback.</summary>
public sealed class ConsistentHashEndToEndTests
{
    [Theory]
    [InlineData(LoadBalancingPolicy.RingHash)]
    [InlineData(LoadBalancingPolicy.Maglev)]
    public async Task SameHeaderValue_SameBackend_DifferentValuesSpread(LoadBalancingPolicy policy)
    {
        // Istio consistentHash.httpHeaderName: requests carrying the same header value reach the same endpoint
        // ("soft session affinity"), whichever connection they come on.
        await using var a = new TestBackend(_ => BackendReply.Ok("a"));
        await using var b = new TestBackend(_ => BackendReply.Ok("b"));
        await using var c = new TestBackend(_ => BackendReply.Ok("c"));
        var cluster = ProxyFixture.Cluster("sticky", a.EndPoint, b.EndPoint, c.EndPoint);
        cluster = new ClusterConfig { Name = cluster.Name, Endpoints = cluster.Endpoints, LoadBalancing = policy, HashPolicy = HashPolicy.Header("x-user") };
        await using var proxy = await ProxyFixture.StartAsync(cluster);

        var backendOf = new Dictionary<string, string>();
        await using (var client = await proxy.ConnectAsync())
        {
            for (var user = 0; user < 30; user++)
            {
                await client.SendAsync($"GET / HTTP/1.1\r\nHost: app\r\nx-user: user-{user}\r\n\r\n");
                var response = await client.ReadResponseAsync();
                Assert.Equal(200, response.Status);
                backendOf[$"user-{user}"] = response.BodyText;
            }
        }

        // Again, on other connections (other client ports), in another order.
        for (var round = 0; round < 2; round++)
        {
            await using var client = await proxy.ConnectAsync();
            for (var user = 29; user >= 0; user--)
            {
                await client.SendAsync($"GET /again HTTP/1.1\r\nHost: app\r\nX-User: user-{user}\r\n\r\n");
                Assert.Equal(backendOf[$"user-{user}"], (await client.ReadResponseAsync()).BodyText);
            }
        }

        // 30 keys over three about equal shares (the backends' ports, part of the hash, change every run): a backend
        // left without a key has probability about 3 * (2/3)^30 = 2e-5.
        Assert.Equal(["a", "b", "c"], backendOf.Values.Distinct().Order());
    }
}
