using System.Net;

namespace Proxy.Istio.Tests.Compilation;

public class IstioCompilerTests
{
    private const string Route = "  - route: [{destination: {host: backend.example.internal, subset: v1}}]";

    private static string Gateway(string name, string ns, int port, string hosts, string? selector = null) => $$"""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          {{(selector is null ? string.Empty : "selector: " + selector)}}
          servers:
          - port: {number: {{port}}, name: http, protocol: HTTP}
            hosts: {{hosts}}
        """;

    private static string Vs(string name, string ns, string hosts, string gateways, string http) => $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {"{"}name: {name}, namespace: {ns}{"}"}
        spec:
          hosts: {hosts}
          gateways: {gateways}
          http:
        {http}
        """;

    private static string To(string subset, string? name = null, string? match = null) =>
        (name is null ? "  - " : $"  - name: {name}\n    ") + (match is null ? string.Empty : $"match: [{match}]\n    ") +
        $"route: [{{destination: {{host: backend.example.internal, subset: {subset}}}}}]";

    [Fact]
    public void Build_ListenerNameAndEndpoint_IstioStyleWithOverrides()
    {
        var options = new IstioBuildOptions { ListenAddress = IPAddress.Loopback, PortOverrides = new Dictionary<int, int> { [80] = 0 } };

        var listener = Assert.Single(TestConfig.BuildValid(TestConfig.Gateway, options).Listeners);

        Assert.Equal("127.0.0.1_80", listener.Name);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 0), listener.EndPoint);
    }

    [Fact]
    public void Build_ServersOnSamePortAcrossGateways_OneListenerServingBoth()
    {
        var yaml = TestConfig.Docs(Gateway("a", "default", 80, "[a.example.com]"), Gateway("b", "default", 80, "[b.example.com]"), Gateway("c", "default", 81, "[\"*\"]"), TestConfig.Backend,
            Vs("va", "default", "[a.example.com]", "[a]", To("v1")), Vs("vb", "default", "[b.example.com]", "[b]", To("v2")));

        var config = TestConfig.BuildValid(yaml);

        Assert.Equal(["0.0.0.0_80", "0.0.0.0_81"], config.Listeners.Select(l => l.Name));
        Assert.Equal("default/va.http[0]", TestConfig.Route(TestConfig.Router(config, 80), "a.example.com", "/")?.Name);
        Assert.Equal("default/vb.http[0]", TestConfig.Route(TestConfig.Router(config, 80), "b.example.com", "/")?.Name);
        Assert.Null(TestConfig.Route(TestConfig.Router(config, 81), "a.example.com", "/"));
    }

    // gateway.proto selector: "If selector is nil, the Gateway will be applied to all workloads"; a selector matches
    // when all its labels are among the workload's.
    [Theory]
    [InlineData(null, "{istio: ingressgateway}", true)]
    [InlineData("istio=ingressgateway", "{istio: ingressgateway}", true)]
    [InlineData("istio=ingressgateway,zone=a", "{istio: ingressgateway}", true)]
    [InlineData("istio=egressgateway", "{istio: ingressgateway}", false)]
    [InlineData("istio=ingressgateway", "{istio: ingressgateway, zone: b}", false)]
    [InlineData("istio=egressgateway", null, true)]
    public void Build_GatewaySelector_MatchedAgainstLabels(string? labels, string? selector, bool served)
    {
        var options = new IstioBuildOptions { Labels = labels?.Split(',').Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]) };

        var config = TestConfig.BuildValid(Gateway("gw", "default", 80, "[\"*\"]", selector), options);

        Assert.Equal(served ? 1 : 0, config.Listeners.Count);
    }

    // virtual_service.proto gateways: "name" means the VirtualService's namespace; "namespace/name" any namespace.
    [Theory]
    [InlineData("default", "[gw]", true)]
    [InlineData("default", "[default/gw]", true)]
    [InlineData("other", "[gw]", false)]
    [InlineData("other", "[default/gw]", true)]
    [InlineData("default", "[mesh]", false)]
    public void Build_GatewayReference_BindsByNameOrNamespaceName(string vsNamespace, string gateways, bool bound)
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, Vs("vs", vsNamespace, "[\"*\"]", gateways, To("v1")));

        var route = TestConfig.Route(TestConfig.BuildValid(yaml), "x", "/");

        Assert.Equal(bound, route is not null);
    }

    // gateway.proto Server.hosts: "namespace/dnsName ... only virtual services in that namespace", "*/" any
    // namespace, "." the Gateway's own namespace.
    [Theory]
    [InlineData("[\"*/*\"]", "team", true)]
    [InlineData("[\"team/*\"]", "team", true)]
    [InlineData("[\"team/*\"]", "other", false)]
    [InlineData("[\"./*\"]", "default", true)]
    [InlineData("[\"./*\"]", "team", false)]
    public void Build_ServerHostNamespace_AdmitsVirtualServiceNamespace(string serverHosts, string vsNamespace, bool bound)
    {
        var yaml = TestConfig.Docs(Gateway("gw", "default", 80, serverHosts), TestConfig.Backend, Vs("vs", vsNamespace, "[\"*\"]", "[default/gw]", To("v1")));

        Assert.Equal(bound, TestConfig.Route(TestConfig.BuildValid(yaml), "x.example.com", "/") is not null);
    }

    // gateway.proto: a server host "*.example.com" admits a VirtualService for "dev.example.com" but not for
    // "example.com" or "newexample.com" (Istio Name.Matches); the virtual host is the narrower of the two.
    [Theory]
    [InlineData("[\"*.example.com\"]", "[dev.example.com]", "dev.example.com", true)]
    [InlineData("[\"*.example.com\"]", "[dev.example.com]", "prod.example.com", false)]
    [InlineData("[\"*.example.com\"]", "[example.com]", "example.com", false)]
    [InlineData("[\"*.example.com\"]", "[newexample.com]", "newexample.com", false)]
    [InlineData("[\"*.example.com\"]", "[\"*\"]", "a.example.com", true)]
    [InlineData("[\"*.example.com\"]", "[\"*\"]", "other.org", false)]
    [InlineData("[dev.example.com]", "[\"*.example.com\"]", "dev.example.com", true)]
    [InlineData("[dev.example.com]", "[\"*.example.com\"]", "qa.example.com", false)]
    [InlineData("[\"*\"]", "[\"*.com\"]", "foo.com", true)]
    public void Build_HostIntersection_VirtualHostIsNarrowerHost(string serverHosts, string vsHosts, string requestHost, bool routed)
    {
        var yaml = TestConfig.Docs(Gateway("gw", "default", 80, serverHosts), TestConfig.Backend, Vs("vs", "default", vsHosts, "[gw]", To("v1")));

        var result = TestConfig.Build(yaml);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(routed, TestConfig.Route(result.Config!, requestHost, "/") is not null);
    }

    [Fact]
    public void Build_VirtualServiceHostNotInGateway_Warning()
    {
        var yaml = TestConfig.Docs(Gateway("gw", "default", 80, "[\"*.example.com\"]"), TestConfig.Backend, Vs("vs", "default", "[other.org]", "[gw]", To("v1")));

        Assert.Contains("test.yaml[3] VirtualService default/vs: spec.hosts: no host matches a host of Gateway default/gw, so it serves none of them", TestConfig.Build(yaml).Warnings);
    }

    [Fact]
    public void Build_ShortVirtualServiceHost_QualifiedWithNamespace()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, Vs("vs", "shop", "[reviews]", "[default/gw]", To("v1")));

        var config = TestConfig.BuildValid(yaml);

        Assert.NotNull(TestConfig.Route(config, "reviews.shop.svc.cluster.local", "/"));
        Assert.Null(TestConfig.Route(config, "reviews", "/"));
    }

    [Fact]
    public void Build_SeveralVirtualServicesSameHost_MergedByNamespaceNameWithCatchAllsLast()
    {
        // Istio appends the routes of every VirtualService for a host (ordered here by namespace/name, as files
        // have no creation time) and SortVHostRoutes moves catch-all routes to the end.
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            Vs("b", "default", "[shop.example.com]", "[gw]", To("v1", "b-all") + "\n" + To("v2", "b-unreachable", "{uri: {prefix: /never}}")),
            Vs("a", "default", "[shop.example.com]", "[gw]", To("v1", "a-api", "{uri: {prefix: /api}}") + "\n" + To("v2", "a-slash", "{uri: {prefix: /}}")),
            Vs("c", "default", "[shop.example.com]", "[gw]", To("v2", "c-cart", "{uri: {prefix: /cart}}")));

        var result = TestConfig.Build(yaml);
        var config = result.Config!;

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("a-api", TestConfig.Route(config, "shop.example.com", "/api/x")?.Name);
        Assert.Equal("c-cart", TestConfig.Route(config, "shop.example.com", "/cart")?.Name);
        Assert.Equal("a-slash", TestConfig.Route(config, "shop.example.com", "/other")?.Name);
        Assert.Contains("test.yaml[3] VirtualService default/b: spec.http[1]: unreachable: an earlier route matches every request", result.Warnings);
    }

    [Fact]
    public void Build_RouteNames_NameOrNamespaceVsIndex()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            Vs("vs", "default", "[\"*\"]", "[gw]", To("v1", "named", "{uri: {prefix: /a}}") + "\n" + To("v2", null, "{uri: {prefix: /b}}")));

        var config = TestConfig.BuildValid(yaml);

        Assert.Equal("named", TestConfig.Route(config, "x", "/a")?.Name);
        Assert.Equal("default/vs.http[1]", TestConfig.Route(config, "x", "/b")?.Name);
    }

    [Fact]
    public void Build_SameDestinationInManyRoutes_OneClusterInstance()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, Gateway("gw2", "default", 81, "[\"*\"]"), TestConfig.Backend,
            Vs("vs", "default", "[\"*\"]", "[gw, gw2]", To("v1", "r1", "{uri: {prefix: /a}}") + "\n" + To("v1", "r2", "{uri: {prefix: /b}}") + "\n" + To("v2")));

        var config = TestConfig.BuildValid(yaml);

        Assert.Equal(["outbound|80|v1|backend.example.internal", "outbound|80|v2|backend.example.internal"], config.Clusters.Select(c => c.Name));
        var a = TestConfig.Route(TestConfig.Router(config, 80), "x", "/a")!.Destinations[0].Cluster;
        var b = TestConfig.Route(TestConfig.Router(config, 81), "x", "/b")!.Destinations[0].Cluster;
        Assert.Same(a, b);
    }

    // HTTPMatchRequest.port / gateways / sourceNamespace / sourceLabels are properties of where the route is served,
    // decided once per listener.
    [Theory]
    [InlineData("{port: 80}", true)]
    [InlineData("{port: 81}", false)]
    [InlineData("{gateways: [gw]}", true)]
    [InlineData("{gateways: [other]}", false)]
    [InlineData("{gateways: [mesh]}", false)]
    [InlineData("{sourceNamespace: default}", true)]
    [InlineData("{sourceNamespace: istio-system}", false)]
    [InlineData("{sourceLabels: {istio: ingressgateway}}", true)]
    [InlineData("{sourceLabels: {istio: egressgateway}}", false)]
    public void Build_ServingSideMatchConditions_DecidedPerListener(string match, bool routed)
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, Vs("vs", "default", "[\"*\"]", "[gw]", To("v1", "m", match)));
        var options = new IstioBuildOptions { Labels = new Dictionary<string, string> { ["istio"] = "ingressgateway" } };

        Assert.Equal(routed, TestConfig.Route(TestConfig.BuildValid(yaml, options), "x", "/") is not null);
    }
}
