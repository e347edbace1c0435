using System.Text;
using Proxy.Engine.Config;
using Proxy.Engine.Http;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Routing;

/// <summary>
/// The router seam (docs/ROUTING.md) with a router that knows nothing of Istio: tenants by header, looked up in a
/// table built in code. If the engine ever needed something Istio-specific from a router, this would stop compiling
/// or routing.
/// </summary>
public sealed class CustomRouterTests
{
    [Fact]
    public async Task ATenantTableRoutesByHeaderAndAnswersNoRouteWithoutIt()
    {
        await using var acme = new TestBackend();
        await using var globex = new TestBackend();
        var acmeCluster = ProxyFixture.Cluster("acme", acme.EndPoint);
        var globexCluster = ProxyFixture.Cluster("globex", globex.EndPoint);
        var router = new TenantRouter()
            .Add("acme", new HttpRoute("acme", [new WeightedCluster(acmeCluster, 1)]))
            .Add("globex", new HttpRoute("globex", [new WeightedCluster(globexCluster, 1)]));
        await using var proxy = await ProxyFixture.StartAsync(router, [acmeCluster, globexCluster]);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /a HTTP/1.1\r\nHost: api\r\nX-Tenant: ACME\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await client.SendAsync("GET /b HTTP/1.1\r\nHost: api\r\nx-tenant: globex\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await client.SendAsync("GET /c HTTP/1.1\r\nHost: api\r\n\r\n");
        var noRoute = await client.ReadResponseAsync();

        Assert.Equal(404, noRoute.Status); // null from the router: Envoy's NR
        Assert.Equal("/a", Assert.Single(acme.Requests).Target);
        Assert.Equal("/b", Assert.Single(globex.Requests).Target);
    }

    /// <summary>The whole router: one header, one dictionary, lower-cased without allocating.</summary>
    private sealed class TenantRouter : IHttpRouter
    {
        private readonly Dictionary<string, HttpRoute> _routes = new(StringComparer.Ordinal);
        private readonly Dictionary<string, HttpRoute>.AlternateLookup<ReadOnlySpan<char>> _lookup;

        public TenantRouter() => _lookup = _routes.GetAlternateLookup<ReadOnlySpan<char>>();

        public TenantRouter Add(string tenant, HttpRoute route)
        {
            _routes[tenant] = route;
            return this;
        }

        public HttpRoute? Route(HttpRequestHead request)
        {
            Span<char> tenant = stackalloc char[64];
            if (!request.TryGetHeader("x-tenant", out var value) || value.Length > tenant.Length)
            {
                return null;
            }

            var written = Encoding.ASCII.GetChars(value, tenant);
            System.Text.Ascii.ToLowerInPlace(tenant[..written], out _);
            return _lookup.TryGetValue(tenant[..written], out var route) ? route : null;
        }
    }
}
