using static Proxy.Istio.Tests.Matching.MatchTable;

namespace Proxy.Istio.Tests.Matching;

/// <summary>How routes, match blocks, VirtualServices and hosts combine into the one route a request gets.</summary>
public sealed class MatchPrecedenceTests
{
    private static string Vs(string name, string ns, string hosts, params string[] routes) => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          hosts: {{hosts}}
          gateways: [default/gw]
          http:
        {{string.Join("\n", routes)}}
        """;

    // VirtualService.http: "An ordered list of route rules for HTTP traffic ... The first rule matching an incoming
    // request is used."
    [Theory]
    [InlineData("/api/v2/x", "specific")]
    [InlineData("/api/v1", "general")]
    [InlineData("/other", null)]
    public void Route_RoutesInOrder_FirstMatchWins(string target, string? expected)
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, Vs("vs", "default", "[\"*\"]",
            RouteYaml("specific", "[{uri: {prefix: /api/v2}}]"),
            RouteYaml("general", "[{uri: {prefix: /api}}]"),
            RouteYaml("shadowed", "[{uri: {prefix: /api/v2/x}}]")));

        Assert.Equal(expected, RouteName(TestConfig.Router(TestConfig.BuildValid(yaml)), target));
    }

    // HTTPRoute.match: "All conditions inside a single match block have AND semantics, while the list of match blocks
    // have OR semantics. The rule is matched if any one of the match blocks succeed."
    [Theory]
    [InlineData("/api", "GET", "channel: beta", true)]
    [InlineData("/api", "GET", "", false)]
    [InlineData("/api", "POST", "channel: beta", false)]
    [InlineData("/web", "GET", "channel: beta", false)]
    [InlineData("/admin", "DELETE", "", true)]
    public void Route_MatchBlocks_AndWithinOrAcross(string target, string method, string headers, bool hit)
    {
        var router = RouterWithMatch("[{uri: {prefix: /api}, method: {exact: GET}, headers: {channel: {exact: beta}}}, {uri: {prefix: /admin}}]");

        Assert.Equal(hit, Hits(router, target, method, headers: headers));
    }

    // Traffic-management best practices: several VirtualServices for one host on a gateway are merged, each keeping
    // its order ("the cross-resource order is UNDEFINED"; here namespace/name, as files have no creation time, so
    // beta/b's /api route comes before default/a's), and Istio SortVHostRoutes moves catch-all routes (prefix "/" or
    // regex ".*", nothing else) after the others.
    [Theory]
    [InlineData("/api/x", "b-api")]
    [InlineData("/cart", "c-cart")]
    [InlineData("/shop", "b-shop")]
    [InlineData("/other", "a-all")]
    public void Route_SeveralVirtualServicesForAHost_MergedInOrderCatchAllsLast(string target, string expected)
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            Vs("c", "default", "[shop.example.com]", RouteYaml("c-cart", "[{uri: {prefix: /cart}}]")),
            Vs("a", "default", "[shop.example.com]", RouteYaml("a-api", "[{uri: {prefix: /api}}]"), RouteYaml("a-all", "[{uri: {prefix: /}}]")),
            Vs("b", "beta", "[shop.example.com]", RouteYaml("b-shop", "[{uri: {prefix: /}, headers: {x: {}}}, {uri: {prefix: /shop}}]"),
                RouteYaml("b-api", "[{uri: {prefix: /api}}]")));

        Assert.Equal(expected, RouteName(TestConfig.Router(TestConfig.BuildValid(yaml)), target, host: "shop.example.com"));
    }

    // Istio IsCatchAllRoute judges the Envoy route a match becomes: path prefix "/" (what a match without uri gets, so
    // "- {}" too) or regex ".*", with no header or query parameter matchers. port, gateways, sourceLabels and
    // sourceNamespace only decide whether the route is generated, and ignoreUriCase is not looked at, so they leave a
    // catch-all a catch-all; scheme, method and authority become header matchers. SortVHostRoutes then moves
    // catch-alls after default/b's /api route although default/a comes first.
    [Theory]
    [InlineData("[{}]", "b-api")]
    [InlineData("[{uri: {prefix: /}, ignoreUriCase: true}]", "b-api")]
    [InlineData("[{port: 80}]", "b-api")]
    [InlineData("[{gateways: [gw], name: all}]", "b-api")]
    [InlineData("[{uri: {regex: \".*\"}, sourceNamespace: default}]", "b-api")]
    [InlineData("[{method: {exact: GET}}]", Hit)]
    [InlineData("[{uri: {prefix: /}, queryParams: {v: {}}}]", Hit)]
    [InlineData("[{withoutHeaders: {x-a: {}}}]", Hit)]
    public void Route_CatchAllMatch_SortedAfterOtherVirtualServices(string match, string expected)
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            Vs("a", "default", "[shop.example.com]", RouteYaml(Hit, match)),
            Vs("b", "default", "[shop.example.com]", RouteYaml("b-api", "[{uri: {prefix: /api}}]")));
        var router = TestConfig.Router(TestConfig.BuildValid(yaml));

        Assert.StartsWith(expected, RouteName(router, "/api?v", host: "shop.example.com"), StringComparison.Ordinal);
        Assert.StartsWith(Hit, RouteName(router, "/other?v", host: "shop.example.com"), StringComparison.Ordinal);
    }

    // BuildHTTPRoutesForVirtualService stops at the first catch-all route it generates ("Routes are matched in order,
    // so we will never go beyond this match"), so a-api never reaches the table to be sorted before the catch-all.
    // Whether the catch-all is generated depends on the listener: {port: 81} is not, on port 80, and a-api stays.
    [Theory]
    [InlineData("[{port: 80}]", "/api", "b-api")]
    [InlineData("[{port: 80}]", "/x", "a-all")]
    [InlineData("[{port: 81}]", "/api", "a-api")]
    [InlineData("[{port: 81}]", "/x", null)]
    public void Route_RoutesAfterACatchAll_NotGenerated(string match, string target, string? expected)
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            Vs("a", "default", "[shop.example.com]", RouteYaml("a-all", match), RouteYaml("a-api", "[{uri: {prefix: /api}}]")),
            Vs("b", "default", "[shop.example.com]", RouteYaml("b-api", "[{uri: {prefix: /api}}]")));

        Assert.Equal(expected, RouteName(TestConfig.Router(TestConfig.BuildValid(yaml)), target, host: "shop.example.com"));
    }

    // Envoy virtual host selection (route_components.proto VirtualHost.domains): exact names first, then suffix
    // wildcards, longest first, then "*"; "the wildcard will not match the empty string", so *.example.com needs a
    // label before .example.com but matches deeper names. Host names compare case-insensitively (RFC 9110 4.2.3) and
    // Istio sets ignore_port_in_host_matching on gateway route configurations.
    [Theory]
    [InlineData("api.example.com", "exact")]
    [InlineData("API.Example.COM", "exact")]
    [InlineData("api.example.com:8080", "exact")]
    [InlineData("x.eu.example.com", "eu-wildcard")]
    [InlineData("a.b.eu.example.com", "eu-wildcard")]
    [InlineData("X.EU.example.com:443", "eu-wildcard")]
    [InlineData("eu.example.com", "wildcard")]
    [InlineData("www.example.com:443", "wildcard")]
    [InlineData("-.example.com", "wildcard")]
    [InlineData("example.com", "com-wildcard")]
    [InlineData("x.com", "com-wildcard")]
    [InlineData(".example.com", "com-wildcard")]
    [InlineData("example.org", "catch-all")]
    [InlineData("com", "catch-all")]
    [InlineData("", "catch-all")]
    [InlineData("10.0.0.1:80", "catch-all")]
    [InlineData("[::1]:80", "catch-all")]
    public void Route_HostLookup_ExactThenLongestWildcardThenCatchAll(string host, string expected)
    {
        Assert.Equal(expected, RouteName(HostsRouter(), "/", host: host));
    }

    // A host longer than any DNS name still meets the wildcards (only its tail is looked at).
    [Fact]
    public void Route_HostLongerThanDnsLimit_WildcardStillMatches()
    {
        var router = HostsRouter();
        var label = new string('a', 60);
        var longHost = string.Join('.', Enumerable.Repeat(label, 6)) + ".eu.example.com";

        Assert.True(longHost.Length > 256);
        Assert.Equal("eu-wildcard", RouteName(router, "/", host: longHost));
        Assert.Equal("catch-all", RouteName(router, "/", host: string.Join('.', Enumerable.Repeat(label, 6)) + ".org"));
    }

    [Fact]
    public void Route_NoCatchAllAndNoMatchingHost_NoRoute()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            Vs("a", "default", "[\"*.example.com\"]", RouteYaml("a", null)), Vs("b", "default", "[api.example.org]", RouteYaml("b", null)));

        var router = TestConfig.Router(TestConfig.BuildValid(yaml));

        Assert.Null(RouteName(router, "/", host: "example.com"));
        Assert.Null(RouteName(router, "/", host: "web.example.org"));
        Assert.Equal("a", RouteName(router, "/", host: "a.example.com"));
    }

    private static Proxy.Engine.Routing.IHttpRouter HostsRouter()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            Vs("catch-all", "default", "[\"*\"]", RouteYaml("catch-all", null)),
            Vs("com-wildcard", "default", "[\"*.com\"]", RouteYaml("com-wildcard", null)),
            Vs("wildcard", "default", "[\"*.example.com\"]", RouteYaml("wildcard", null)),
            Vs("eu-wildcard", "default", "[\"*.eu.example.com\"]", RouteYaml("eu-wildcard", null)),
            Vs("exact", "default", "[api.example.com]", RouteYaml("exact", null)));
        return TestConfig.Router(TestConfig.BuildValid(yaml));
    }
}
