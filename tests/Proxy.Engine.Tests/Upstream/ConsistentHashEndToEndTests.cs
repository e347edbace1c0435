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
    [Fact]
    public async Task ACookieIsIssuedWhenAbsentAndThenKeepsTheClientOnOneBackend()
    {
        // Istio consistentHash.httpCookie: "If the cookie is not present, it will be generated" when a ttl is set; Envoy
        // adds it to the response (router.cc) and hashes the request on the new value, so the first request already
        // lands where the cookie will send the next ones.
        await using var a = new TestBackend(_ => BackendReply.Ok("a"));
        await using var b = new TestBackend(_ => BackendReply.Ok("b"));
        await using var c = new TestBackend(_ => BackendReply.Ok("c"));
        var plain = ProxyFixture.Cluster("cookie", a.EndPoint, b.EndPoint, c.EndPoint);
        var cluster = new ClusterConfig
        {
            Name = plain.Name,
            Endpoints = plain.Endpoints,
            LoadBalancing = LoadBalancingPolicy.RingHash,
            HashPolicy = HashPolicy.Cookie("session", TimeSpan.FromHours(1), "/"),
        };
        await using var proxy = await ProxyFixture.StartAsync(cluster);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
        var first = await client.ReadResponseAsync();
        var setCookie = first.Header("set-cookie");
        Assert.NotNull(setCookie);
        Assert.Matches("^session=\"[0-9a-f]{16}\"; Max-Age=3600; Path=/; HttpOnly$", setCookie);
        var cookie = setCookie[..setCookie.IndexOf(';', StringComparison.Ordinal)];

        for (var i = 0; i < 10; i++)
        {
            await using var other = await proxy.ConnectAsync();
            await other.SendAsync($"GET /n{i} HTTP/1.1\r\nHost: app\r\nCookie: theme=dark; {cookie}\r\n\r\n");
            var response = await other.ReadResponseAsync();
            Assert.Equal(first.BodyText, response.BodyText);
            Assert.Null(response.Header("set-cookie")); // present cookie: nothing issued
        }
    }
}
