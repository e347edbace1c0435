using System.Text.RegularExpressions;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http.Actions;

/// <summary>
/// Path and authority rewrites (Istio HTTPRewrite uri / uriRegexRewrite / authority; Envoy prefix_rewrite,
/// regex_rewrite, host_rewrite_literal). Envoy rewrites the path and keeps the query (config_impl.cc: "Replace the
/// entire path, but preserve the query parameters").
/// </summary>
public sealed class RewriteTests
{
    public static TheoryData<string, PathRewrite, string> PathCases => new()
    {
        { "/api/items?q=1", PathRewrite.ReplacePrefix("/api", "/v2"), "/v2/items?q=1" },
        { "/api", PathRewrite.ReplacePrefix("/api", "/v2"), "/v2" },
        // Istio's "/" rewrite of a "/api/" prefix.
        { "/api/items", PathRewrite.ReplacePrefix("/api/", "/"), "/items" },
        // A path the prefix does not start is sent unchanged.
        { "/other/x", PathRewrite.ReplacePrefix("/api", "/v2"), "/other/x" },
        { "/API/Items", PathRewrite.ReplacePrefix("/api", "/v2"), "/API/Items" },
        // ignoreUriCase: the prefix matched case-insensitively; the rest keeps its case.
        { "/API/Items", PathRewrite.ReplacePrefix("/api", "/v2", ignoreCase: true), "/v2/Items" },
        { "/anything/at/all?a=b", PathRewrite.ReplacePath("/fixed"), "/fixed?a=b" },
        // Envoy's documented regex_rewrite example: pattern ^/service/([^/]+)(/.*)$, substitution \2/instance/\1.
        { "/service/foo/v1/api?x=1", PathRewrite.ReplaceRegex(new Regex("^/service/([^/]+)(/.*)$"), @"\2/instance/\1"), "/v1/api/instance/foo?x=1" },
        // Every match is replaced (RE2 GlobalReplace), and a literal $ stays literal.
        { "/foo/boo", PathRewrite.ReplaceRegex(new Regex("o"), "0"), "/f00/b00" },
        { "/a/b", PathRewrite.ReplaceRegex(new Regex("^/a"), "/$x"), "/$x/b" },
        // No match: unchanged.
        { "/zzz", PathRewrite.ReplaceRegex(new Regex("^/service/(.*)$"), @"/\1"), "/zzz" },
    };

    [Theory]
    [MemberData(nameof(PathCases))]
    public async Task PathRewrite_SendsRewrittenPathAndQuery(string target, PathRewrite rewrite, string sent)
    {
        await using var backend = new TestBackend();
        var cluster = ProxyFixture.Cluster("b", backend.EndPoint);
        var route = new HttpRoute("r", [new WeightedCluster(cluster, 100)]) { PathRewrite = rewrite };
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", route), [cluster]);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync($"GET {target} HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        var request = Assert.Single(backend.Requests);
        Assert.Equal(sent, request.Target);
        Assert.Equal("a.example.com", request.Header("host"));
    }

    [Fact]
    public async Task PathRewrite_AbsoluteFormTarget_RewritesItsPath()
    {
        await using var backend = new TestBackend();
        var cluster = ProxyFixture.Cluster("b", backend.EndPoint);
        var route = new HttpRoute("r", [new WeightedCluster(cluster, 100)]) { PathRewrite = PathRewrite.ReplacePrefix("/api", "/v2") };
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", route), [cluster]);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET http://a.example.com/api/x?y HTTP/1.1\r\nHost: ignored\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        var request = Assert.Single(backend.Requests);
        Assert.Equal("/v2/x?y", request.Target);
        Assert.Equal("a.example.com", request.Header("host"));
    }

    [Theory]
    [InlineData("GET /p HTTP/1.1\r\nHost: a.example.com:8080\r\n\r\n")]
    [InlineData("GET http://a.example.com/p HTTP/1.1\r\nHost: a.example.com\r\n\r\n")]
    [InlineData("GET /p HTTP/1.0\r\n\r\n")]
    public async Task AuthorityRewrite_ReplacesHost(string request)
    {
        await using var backend = new TestBackend();
        var cluster = ProxyFixture.Cluster("b", backend.EndPoint);
        var route = new HttpRoute("r", [new WeightedCluster(cluster, 100)]) { AuthorityRewrite = "internal.svc:9080" };
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", route), [cluster]);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(request);
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        var received = Assert.Single(backend.Requests);
        Assert.Equal("/p", received.Target);
        Assert.Equal(1, received.HeaderCount("host"));
        Assert.Equal("internal.svc:9080", received.Header("host"));
    }
    [Fact]
    public async Task DestinationAuthorityRewrite_AppliesToItsDestination_AndTheRouteOneWins()
    {
        // Envoy weighted_clusters[].host_rewrite_literal; Istio sets a destination's authority there, and the route's
        // own authority rewrite (on the route action) takes precedence over it.
        await using var backend = new TestBackend();
        var cluster = ProxyFixture.Cluster("b", backend.EndPoint);
        var destination = new WeightedCluster(cluster, 100) { AuthorityRewrite = "dest.internal" };
        var router = new TableRouter()
            .Add("*", "/dest", new HttpRoute("dest", [destination]))
            .Add("*", "/both", new HttpRoute("both", [destination]) { AuthorityRewrite = "route.internal" });
        await using var proxy = await ProxyFixture.StartAsync(router, [cluster]);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /dest HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await client.SendAsync("GET /both HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        var requests = backend.Requests.ToArray();
        Assert.Equal("dest.internal", requests[0].Header("host"));
        Assert.Equal("route.internal", requests[1].Header("host"));
    }
}
