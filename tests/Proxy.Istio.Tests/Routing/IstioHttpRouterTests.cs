using Proxy.Engine.Config;
using Proxy.Engine.Http;
using Proxy.Engine.Routing;

namespace Proxy.Istio.Tests.Routing;

public class IstioHttpRouterTests
{
    private static KeyValuePair<string, string> H(string name, string value) => new(name, value);

    [Fact]
    public void Route_NoVirtualHostForHost_Null()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            TestConfig.VirtualService("  - route: [{destination: {host: backend.example.internal}}]", hosts: "[a.example.com]"));

        Assert.Null(TestConfig.Route(TestConfig.BuildValid(yaml), "b.example.com", "/"));
    }

    // HTTPRouteDestination.weight: "the proportion of traffic to be forwarded ... weight/(sum of all weights)";
    // weight 0 gets none.
    [Theory]
    [InlineData(90, 10)]
    [InlineData(1, 3)]
    [InlineData(100, 0)]
    public void PickCluster_Weights_ProportionalWithinBound(int w1, int w2)
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, TestConfig.VirtualService($$"""
              - route:
                - destination: {host: backend.example.internal, subset: v1}
                  weight: {{w1}}
                - destination: {host: backend.example.internal, subset: v2}
                  weight: {{w2}}
            """));
        var route = TestConfig.Route(TestConfig.BuildValid(yaml), "x", "/")!;
        const int N = 10_000;

        var v1 = 0;
        for (var i = 0; i < N; i++)
        {
            if (route.PickCluster()!.Name.Contains("|v1|", StringComparison.Ordinal))
            {
                v1++;
            }
        }

        // Binomial(N, p): 5 standard deviations is at most 250 picks at N = 10k; a false failure is ~1 in 3.5 million.
        var expected = N * w1 / (double)(w1 + w2);
        var sigma = Math.Sqrt(N * (w1 / (double)(w1 + w2)) * (w2 / (double)(w1 + w2)));
        Assert.InRange(v1, expected - (5 * sigma), expected + (5 * sigma));
    }

    // DESIGN.md: the hot path allocates nothing in steady state. Covers every matcher and both host tables, including
    // the paths that need scratch memory: repeated headers joined on the stack and, past 256 bytes, in a pooled array;
    // a regex over a value too long for the stack; a host longer than the lookup buffer.
    [Fact]
    public void Route_EveryMatcherKind_AllocatesNothing()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, TestConfig.VirtualService("""
              - name: header
                match: [{headers: {x-canary: {exact: "yes"}, x-tier: {prefix: gold}}}]
                route: [{destination: {host: backend.example.internal, subset: v2}}]
              - name: regex
                match: [{uri: {regex: "/users/[0-9]+/orders(/.*)?"}, method: {regex: "GET|HEAD"}}]
                route: [{destination: {host: backend.example.internal, subset: v1}}]
              - name: prefix
                match: [{uri: {prefix: /static}, queryParams: {v: {exact: "2"}}}]
                route: [{destination: {host: backend.example.internal, subset: v1}}]
              - name: long-regex
                match: [{headers: {x-long: {regex: "a+"}}}]
                route: [{destination: {host: backend.example.internal, subset: v1}}]
              - name: joined
                match: [{headers: {x-a: {regex: "1,.*"}}, withoutHeaders: {x-debug: {exact: "1"}}}]
                route: [{destination: {host: backend.example.internal, subset: v1}}]
              - name: pseudo
                match: [{headers: {":authority": {prefix: pseudo.}, ":path": {prefix: "/p?"}}, scheme: {exact: http}, authority: {prefix: pseudo.}}]
                route: [{destination: {host: backend.example.internal, subset: v1}}]
            """, hosts: "[shop.example.com, \"*.example.com\"]"));
        var router = TestConfig.Router(TestConfig.BuildValid(yaml));
        var longValue = new string('b', 300);
        var longHost = string.Join('.', Enumerable.Repeat(new string('h', 60), 5)) + ".example.com";
        HttpRequestHead[] requests =
        [
            HttpRequestHead.Create("GET", "/any", H("Host", "Shop.Example.com:80"), H("x-canary", "yes"), H("x-tier", "gold-plus")),
            HttpRequestHead.Create("HEAD", "/users/42/orders/7", H("Host", "shop.example.com")),
            HttpRequestHead.Create("GET", "/static/app.js?x=1&v=2", H("Host", "cdn.example.com")),
            HttpRequestHead.Create("GET", "/nothing", H("Host", "shop.example.com"), H("x-long", new string('a', 1000))),
            HttpRequestHead.Create("GET", "/nothing", H("Host", "shop.example.com"), H("x-a", "1"), H("x-a", "2")),
            HttpRequestHead.Create("GET", "/nothing", H("Host", "shop.example.com"), H("x-a", "1"), H("x-a", longValue), H("x-debug", "2")),
            HttpRequestHead.Create("GET", "/p?q=1", H("Host", "pseudo.example.com")),
            HttpRequestHead.Create("GET", "http://pseudo.example.com/p?q=1", H("Host", "pseudo.example.com")),
            HttpRequestHead.Create("GET", "/static/x?v=2", H("Host", longHost)),
            HttpRequestHead.Create("GET", "/nothing", H("Host", "unknown.org")),
        ];
        string?[] expected = ["header", "regex", "prefix", "long-regex", "joined", "joined", "pseudo", "pseudo", "prefix", null];

        for (var warmup = 0; warmup < 1_000; warmup++)
        {
            foreach (var request in requests)
            {
                router.Route(request);
            }
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            foreach (var request in requests)
            {
                router.Route(request);
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(expected, requests.Select(r => router.Route(r)?.Name));
    }

    [Fact]
    public void Route_ClusterEndpoints_FromSubsetLabels()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            TestConfig.VirtualService("  - route: [{destination: {host: backend.example.internal, subset: v2}}]"));

        var cluster = TestConfig.Route(TestConfig.BuildValid(yaml), "x", "/")!.PickCluster()!;

        Assert.Equal("outbound|80|v2|backend.example.internal", cluster.Name);
        Assert.Equal(new EndpointConfig("10.0.0.2", 80), Assert.Single(cluster.Endpoints) with { Labels = null });
    }
}
