using Proxy.Engine.Config;
using Proxy.Engine.Http;
using Proxy.Engine.Routing;

namespace Proxy.Istio.Tests.Routing;

public class IstioHttpRouterTests
{
    /// <summary>One VirtualService for all hosts whose single route (named "hit") has this match list.</summary>
    private static IHttpRouter RouterWithMatch(string match)
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, TestConfig.VirtualService(
            $"  - name: hit\n    match: {match}\n    route: [{{destination: {{host: backend.example.internal}}}}]"));
        return TestConfig.Router(TestConfig.BuildValid(yaml));
    }

    private static KeyValuePair<string, string> H(string name, string value) => new(name, value);

    private static bool Hits(IHttpRouter router, string target, string method = "GET", params (string, string)[] headers) =>
        TestConfig.Route(router, "example.com", target, method, headers)?.Name == "hit";

    // virtual_service.proto HTTPMatchRequest.uri: exact, prefix or regex (RE2) on the path; Envoy matches the path
    // without the query string.
    [Theory]
    [InlineData("{exact: /a}", "/a", true)]
    [InlineData("{exact: /a}", "/a?x=1", true)]
    [InlineData("{exact: /a}", "/a/", false)]
    [InlineData("{exact: /a}", "/A", false)]
    [InlineData("{prefix: /api}", "/api", true)]
    [InlineData("{prefix: /api}", "/api/v1", true)]
    [InlineData("{prefix: /api}", "/apix", true)]
    [InlineData("{prefix: /api}", "/ap", false)]
    [InlineData("{regex: \"/users/[0-9]+\"}", "/users/42", true)]
    [InlineData("{regex: \"/users/[0-9]+\"}", "/users/42/x", false)]
    [InlineData("{regex: \"/users/[0-9]+\"}", "/x/users/42", false)]
    [InlineData("{regex: \"[0-9]+\"}", "/users/42", false)]
    public void Route_Uri_ExactPrefixRegexFullMatch(string uri, string path, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch($"[{{uri: {uri}}}]"), path));
    }

    // HTTPMatchRequest.ignoreUriCase: "the case will be ignored only in the case of exact and prefix URI matches".
    [Theory]
    [InlineData("{exact: /Api}", "/aPI", true)]
    [InlineData("{prefix: /Api}", "/API/x", true)]
    [InlineData("{exact: /Api}", "/apix", false)]
    public void Route_IgnoreUriCase_CaseInsensitive(string uri, string path, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch($"[{{uri: {uri}, ignoreUriCase: true}}]"), path));
    }

    // HTTPMatchRequest.headers: "The header keys must be lowercase"; values case-sensitive; "If the value is empty
    // and only the name of header is specified, presence of the header is checked."
    [Theory]
    [InlineData("{end-user: {exact: jason}}", "end-user", "jason", true)]
    [InlineData("{end-user: {exact: jason}}", "End-User", "jason", true)]
    [InlineData("{end-user: {exact: jason}}", "end-user", "Jason", false)]
    [InlineData("{end-user: {exact: jason}}", "other", "jason", false)]
    [InlineData("{end-user: {prefix: ja}}", "end-user", "jason", true)]
    [InlineData("{end-user: {regex: \"j.*n\"}}", "end-user", "jason", true)]
    [InlineData("{end-user: {regex: \"j.*n\"}}", "end-user", "jasonx", false)]
    [InlineData("{x-canary: {}}", "x-canary", "", true)]
    [InlineData("{x-canary: {}}", "x-canary", "anything", true)]
    [InlineData("{x-canary: {}}", "x-other", "1", false)]
    [InlineData("{x-canary: }", "x-canary", "1", true)]
    public void Route_Headers_ValueOrPresence(string headers, string name, string value, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch($"[{{headers: {headers}}}]"), "/", "GET", (name, value)));
    }

    // HTTPMatchRequest.withoutHeaders: "the same syntax with the header, but has opposite meaning".
    [Theory]
    [InlineData("{x-debug: {}}", null, true)]
    [InlineData("{x-debug: {}}", "1", false)]
    [InlineData("{x-debug: {exact: \"1\"}}", "2", true)]
    public void Route_WithoutHeaders_Negated(string withoutHeaders, string? value, bool hit)
    {
        var router = RouterWithMatch($"[{{withoutHeaders: {withoutHeaders}}}]");

        Assert.Equal(hit, value is null ? Hits(router, "/") : Hits(router, "/", "GET", ("x-debug", value)));
    }

    // HTTPMatchRequest.queryParams: exact or regex; "If the value is empty ... presence of the query parameter".
    [Theory]
    [InlineData("{v: {exact: \"2\"}}", "/?v=2", true)]
    [InlineData("{v: {exact: \"2\"}}", "/?a=1&v=2&b", true)]
    [InlineData("{v: {exact: \"2\"}}", "/?v=22", false)]
    [InlineData("{v: {exact: \"2\"}}", "/?vv=2", false)]
    [InlineData("{v: {regex: \"[0-9]\"}}", "/?v=7", true)]
    [InlineData("{v: {exact: \"\"}}", "/?v", true)]
    [InlineData("{v: {}}", "/?x=1&v=3", true)]
    [InlineData("{v: {}}", "/?x=1", false)]
    public void Route_QueryParams_ExactRegexPresence(string query, string target, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch($"[{{queryParams: {query}}}]"), target));
    }

    [Theory]
    [InlineData("{method: {exact: POST}}", "POST", true)]
    [InlineData("{method: {exact: POST}}", "GET", false)]
    [InlineData("{method: {regex: \"GET|HEAD\"}}", "HEAD", true)]
    [InlineData("{method: {regex: \"GET|HEAD\"}}", "GETX", false)]
    public void Route_Method_Matched(string match, string method, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch($"[{match}]"), "/", method));
    }

    [Theory]
    [InlineData("{authority: {exact: \"example.com\"}}", "example.com", true)]
    [InlineData("{authority: {exact: \"example.com\"}}", "example.com:8080", false)]
    [InlineData("{authority: {prefix: \"example.com\"}}", "example.com:8080", true)]
    [InlineData("{scheme: {exact: http}}", "example.com", true)]
    [InlineData("{scheme: {exact: https}}", "example.com", false)]
    public void Route_AuthorityAndScheme_Matched(string match, string host, bool hit)
    {
        Assert.Equal(hit, TestConfig.Route(RouterWithMatch($"[{match}]"), host, "/")?.Name == "hit");
    }

    // "All conditions inside a single match block have AND semantics, while the list of match blocks have OR semantics."
    [Theory]
    [InlineData("/api", "beta", true)]
    [InlineData("/api", null, false)]
    [InlineData("/web", "beta", false)]
    [InlineData("/admin", null, true)]
    public void Route_MatchBlocks_AndWithinOrAcross(string path, string? channel, bool hit)
    {
        var router = RouterWithMatch("[{uri: {prefix: /api}, headers: {channel: {exact: beta}}}, {uri: {prefix: /admin}}]");

        Assert.Equal(hit, channel is null ? Hits(router, path) : Hits(router, path, "GET", ("channel", channel)));
    }

    [Fact]
    public void Route_RoutesInOrder_FirstMatchWins()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, TestConfig.VirtualService("""
              - name: specific
                match: [{uri: {prefix: /api/v2}}]
                route: [{destination: {host: backend.example.internal, subset: v2}}]
              - name: general
                match: [{uri: {prefix: /api}}]
                route: [{destination: {host: backend.example.internal, subset: v1}}]
              - name: shadowed
                match: [{uri: {prefix: /api/v2/x}}]
                route: [{destination: {host: backend.example.internal, subset: v1}}]
            """));
        var router = TestConfig.Router(TestConfig.BuildValid(yaml));

        Assert.Equal("specific", TestConfig.Route(router, "h", "/api/v2/x")?.Name);
        Assert.Equal("general", TestConfig.Route(router, "h", "/api/v1")?.Name);
        Assert.Null(TestConfig.Route(router, "h", "/other"));
    }

    // Envoy virtual host selection: exact domain (case-insensitive), then suffix wildcards longest first, then "*";
    // DESIGN.md: the Host header's port is ignored.
    [Theory]
    [InlineData("api.example.com", "exact")]
    [InlineData("API.Example.COM", "exact")]
    [InlineData("api.example.com:8080", "exact")]
    [InlineData("x.eu.example.com", "eu-wildcard")]
    [InlineData("a.b.eu.example.com", "eu-wildcard")]
    [InlineData("eu.example.com", "wildcard")]
    [InlineData("www.example.com:443", "wildcard")]
    [InlineData("example.com", "catch-all")]
    [InlineData("10.0.0.1:80", "catch-all")]
    [InlineData("[::1]:80", "catch-all")]
    public void Route_HostLookup_ExactThenLongestWildcardThenCatchAll(string host, string expected)
    {
        static string Vs(string name, string host) => $$"""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: {{name}}
            spec:
              hosts: ["{{host}}"]
              gateways: [gw]
              http:
              - name: {{name}}
                route:
                - destination:
                    host: backend.example.internal
            """;
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            Vs("catch-all", "*"), Vs("wildcard", "*.example.com"), Vs("eu-wildcard", "*.eu.example.com"), Vs("exact", "api.example.com"));

        Assert.Equal(expected, TestConfig.Route(TestConfig.BuildValid(yaml), host, "/")?.Name);
    }

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

    [Fact]
    public void Route_PrefixHeaderRegexRoutes_AllocatesNothing()
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
            """, hosts: "[shop.example.com, \"*.example.com\"]"));
        var router = TestConfig.Router(TestConfig.BuildValid(yaml));
        HttpRequestHead[] requests =
        [
            HttpRequestHead.Create("GET", "/any", H("Host", "Shop.Example.com:80"), H("x-canary", "yes"), H("x-tier", "gold-plus")),
            HttpRequestHead.Create("HEAD", "/users/42/orders/7", H("Host", "shop.example.com")),
            HttpRequestHead.Create("GET", "/static/app.js?x=1&v=2", H("Host", "cdn.example.com")),
            HttpRequestHead.Create("GET", "/nothing", H("Host", "shop.example.com"), H("x-long", new string('a', 1000))),
            HttpRequestHead.Create("GET", "/nothing", H("Host", "unknown.org")),
        ];
        string?[] expected = ["header", "regex", "prefix", "long-regex", null];

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
