using Proxy.Engine.Routing;

namespace Proxy.Istio.Tests.Actions;

/// <summary>
/// Delegate VirtualServices (virtual_service.proto Delegate): "the route rules of the delegate VirtualService will be
/// merged with that in the current one"; "Only one level delegation is supported"; "The delegate's HTTPMatchRequest
/// must be a strict subset of the root's, otherwise there is a conflict and the HTTPRoute will not take effect".
/// Merging follows pilot/pkg/model/virtualservice.go (mergeHTTPRoute, mergeHTTPMatchRequests, hasConflict).
/// </summary>
public sealed class DelegateTests
{
    private const string Root = "test.yaml[3] VirtualService default/root: ";

    private static string RootVs(string http) => TestConfig.VirtualService(http, name: "root");

    /// <summary>A VirtualService without hosts or gateways: a delegate.</summary>
    private static string DelegateVs(string http, string name = "leaf", string ns = "default", string extra = "") => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          {{extra}}
          http:
        {{http}}
        """;

    private static string To(string subset) => $"route: [{{destination: {{host: backend.example.internal, subset: {subset}}}}}]";

    private static IstioBuildResult Build(params string[] documents) =>
        TestConfig.Build(TestConfig.Docs([TestConfig.Gateway, TestConfig.Backend, .. documents]));

    private static HttpRoute? RouteOf(IstioBuildResult result, string target, params (string Name, string Value)[] headers)
    {
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return TestConfig.Route(result.Config!, "x", target, headers);
    }

    // The proto's productpage example: the delegate's routes replace the root's route, under the root's match.
    [Fact]
    public void Build_Delegate_RoutesMergedUnderTheRootsMatch()
    {
        var result = Build(
            RootVs($"  - match: [{{uri: {{prefix: /productpage}}}}]\n    delegate: {{name: leaf}}\n  - {To("v1")}"),
            DelegateVs($"  - match: [{{uri: {{prefix: /productpage/v1/}}}}]\n    {To("v2")}\n  - {To("v1")}"));

        Assert.Equal(ActionYaml.V2, TestConfig.ClusterOf(RouteOf(result, "/productpage/v1/x")));
        Assert.Equal(ActionYaml.V1, TestConfig.ClusterOf(RouteOf(result, "/productpage/other")));
        Assert.Equal("default/leaf.http[1]", RouteOf(result, "/productpage/other")!.Name);

        // The root's next route still serves what the delegate's do not match.
        Assert.Equal("default/root.http[1]", RouteOf(result, "/elsewhere")!.Name);
    }

    // Delegate.namespace: "By default, it is same to the root's"; the delegate's short destination hosts resolve in
    // the delegate's namespace (ResolveVirtualServiceShortnames runs on the delegate).
    [Fact]
    public void Build_DelegateInOtherNamespace_HostsResolvedThere()
    {
        const string Reviews = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: reviews, namespace: books}
            spec:
              hosts: [reviews.books.svc.cluster.local]
              resolution: STATIC
              ports: [{number: 9080, name: http, protocol: HTTP}]
              endpoints: [{address: 10.0.2.1}]
            """;

        var result = Build(
            RootVs("  - delegate: {name: reviews, namespace: books}"),
            DelegateVs("  - route: [{destination: {host: reviews}}]", name: "reviews", ns: "books"),
            Reviews);

        Assert.Equal("outbound|9080||reviews.books.svc.cluster.local", TestConfig.ClusterOf(RouteOf(result, "/")));
    }

    // mergeHTTPMatchRequests: a delegate match that is not within any root match conflicts, and that delegate route is
    // skipped (istiod logs "HTTPMatchRequests conflict"); the others are kept.
    [Fact]
    public void Build_DelegateMatchOutsideRootMatch_ThatRouteSkippedWithWarning()
    {
        var result = Build(
            RootVs("  - match: [{uri: {prefix: /api}}]\n    delegate: {name: leaf}"),
            DelegateVs($"  - match: [{{uri: {{prefix: /web}}}}]\n    {To("v2")}\n  - match: [{{uri: {{exact: /api/v2}}}}]\n    {To("v2")}\n  - {To("v1")}"));

        Assert.Null(RouteOf(result, "/web"));
        Assert.Equal(ActionYaml.V2, TestConfig.ClusterOf(RouteOf(result, "/api/v2")));
        Assert.Equal(ActionYaml.V1, TestConfig.ClusterOf(RouteOf(result, "/api/x")));
        Assert.Equal([Root + "spec.http[0].delegate: the match of VirtualService default/leaf spec.http[0] is not within this route's match, so that route is skipped (Istio: a delegate's match must be a subset of the root's)"],
            result.Warnings);
    }

    // stringMatchConflict, and hasConflict's other rules, one root match against one delegate match.
    [Theory]
    [InlineData("{uri: {prefix: /a}}", "{uri: {prefix: /a/b}}", false)]
    [InlineData("{uri: {prefix: /a}}", "{uri: {exact: /a/b}}", false)]
    [InlineData("{uri: {prefix: /a/b}}", "{uri: {prefix: /a}}", true)]
    [InlineData("{uri: {exact: /a}}", "{uri: {exact: /a}}", false)]
    [InlineData("{uri: {exact: /a}}", "{uri: {prefix: /a}}", true)]
    [InlineData("{uri: {regex: /a.*}}", "{uri: {prefix: /a}}", true)]
    [InlineData("{uri: {prefix: /a}}", "{uri: {regex: /a.*}}", true)]
    [InlineData("{uri: {regex: /a.*}}", "{headers: {x: {exact: \"1\"}}}", false)]
    [InlineData("{headers: {x: {exact: \"1\"}}}", "{headers: {x: {exact: \"2\"}}}", true)]
    [InlineData("{headers: {x: {}}}", "{headers: {x: {exact: \"1\"}}}", true)]
    [InlineData("{headers: {x: {exact: \"1\"}}}", "{headers: {y: {exact: \"1\"}}}", false)]
    [InlineData("{uri: {prefix: /a}, ignoreUriCase: true}", "{uri: {prefix: /a/b}}", true)]
    [InlineData("{port: 80}", "{port: 81}", true)]
    [InlineData("{gateways: [gw]}", "{gateways: [gw, other]}", true)]
    [InlineData("{gateways: [gw, other]}", "{gateways: [gw]}", false)]
    [InlineData("{sourceNamespace: default}", "{uri: {prefix: /}}", true)]
    public void Build_RootAndDelegateMatches_ConflictAsIstio(string rootMatch, string leafMatch, bool conflict)
    {
        var result = Build(
            RootVs($"  - match: [{rootMatch}]\n    delegate: {{name: leaf}}"),
            DelegateVs($"  - match: [{leafMatch}]\n    {To("v2")}"));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(conflict, result.Warnings.Any(w => w.Contains("is not within this route's match", StringComparison.Ordinal)));
    }

    // mergeHTTPMatchRequest: the merged block holds the root's conditions and the delegate's (the delegate's win on
    // the same header).
    [Fact]
    public void Build_MergedMatch_BothConditionsRequired()
    {
        var result = Build(
            RootVs("  - match: [{uri: {prefix: /api}, headers: {x-tenant: {exact: a}}}]\n    delegate: {name: leaf}"),
            DelegateVs($"  - match: [{{headers: {{x-beta: {{exact: \"on\"}}}}}}]\n    {To("v2")}"));

        Assert.NotNull(RouteOf(result, "/api/x", ("x-tenant", "a"), ("x-beta", "on")));
        Assert.Null(RouteOf(result, "/api/x", ("x-beta", "on")));
        Assert.Null(RouteOf(result, "/api/x", ("x-tenant", "a")));
        Assert.Null(RouteOf(result, "/other", ("x-tenant", "a"), ("x-beta", "on")));
    }

    // Each delegate match block is merged with every root block it fits: two root blocks, one delegate block.
    [Fact]
    public void Build_SeveralRootMatches_DelegateMatchMergedWithEach()
    {
        var result = Build(
            RootVs("  - match: [{uri: {prefix: /v1}}, {uri: {prefix: /v2}}]\n    delegate: {name: leaf}"),
            DelegateVs($"  - match: [{{method: {{exact: POST}}}}]\n    {To("v2")}"));

        Assert.Equal(ActionYaml.V2, TestConfig.ClusterOf(TestConfig.Route(TestConfig.Router(result.Config!), "x", "/v1/a", "POST")));
        Assert.Equal(ActionYaml.V2, TestConfig.ClusterOf(TestConfig.Route(TestConfig.Router(result.Config!), "x", "/v2/a", "POST")));
        Assert.Null(TestConfig.Route(TestConfig.Router(result.Config!), "x", "/v1/a", "GET"));
    }

    // mergeHTTPRoute: the delegate route inherits rewrite, fault, mirror, CORS and headers it does not set. A rewrite
    // inherited from the root swaps the merged block's prefix (the delegate's).
    [Fact]
    public void Build_RootActions_InheritedUnlessTheDelegateSetsThem()
    {
        var result = Build(
            RootVs("""
                  - name: api
                    match: [{uri: {prefix: /api}}]
                    delegate: {name: leaf}
                    rewrite: {uri: /}
                    headers: {request: {set: {x-from: root}}}
                    fault: {abort: {httpStatus: 418, percentage: {value: 1}}}
                    corsPolicy: {allowOrigins: [{exact: "https://a"}]}
                """),
            DelegateVs("""
                  - name: v1
                    match: [{name: m, uri: {prefix: /api/v1}}]
                    headers: {request: {set: {x-from: leaf}}}
                """ + "\n    " + To("v1") + "\n  - " + To("v2")));

        var v1 = RouteOf(result, "/api/v1/x")!;
        var other = RouteOf(result, "/api/x")!;

        Assert.Equal("api-v1.m", v1.Name);
        Assert.Equal("api", other.Name);
        Assert.Equal(("/api/v1", "/"), (v1.PathRewrite!.Match, v1.PathRewrite.Replacement));
        Assert.Equal(("/api", "/"), (other.PathRewrite!.Match, other.PathRewrite.Replacement));
        Assert.Equal([new("x-from", "leaf")], v1.RequestHeaders!.Set);
        Assert.Equal([new("x-from", "root")], other.RequestHeaders!.Set);
        Assert.Equal(418, v1.Fault!.AbortStatusCode);
        Assert.NotNull(other.Cors);
    }

    // mergeVirtualServices: "delegate not found, ignore only the current HTTP route"; a VirtualService with hosts is
    // not a delegate; a delegate "is not exported to" the root's namespace is skipped too.
    [Theory]
    [InlineData("{name: missing}", "", "spec.http[0].delegate: VirtualService default/missing is not defined; the route is skipped")]
    [InlineData("{name: leaf}", "hosts: [other.example.com]", "spec.http[0].delegate: VirtualService default/leaf has hosts, so it is not a delegate; the route is skipped")]
    [InlineData("{name: leaf, namespace: team}", "exportTo: [\".\"]", "spec.http[0].delegate: VirtualService team/leaf is not exported to namespace default; the route is skipped")]
    public void Build_UnusableDelegate_RouteSkippedWithWarning(string reference, string leafSpec, string warning)
    {
        var ns = reference.Contains("team", StringComparison.Ordinal) ? "team" : "default";
        var result = Build(
            RootVs($"  - delegate: {reference}\n  - {To("v1")}"),
            DelegateVs($"  - {To("v2")}", ns: ns, extra: leafSpec));

        Assert.Equal(ActionYaml.V1, TestConfig.ClusterOf(RouteOf(result, "/")));
        Assert.Contains(Root + warning, result.Warnings);
    }

    // exportTo naming the root's namespace makes the delegate usable from there.
    [Fact]
    public void Build_DelegateExportedToRootNamespace_Used()
    {
        var result = Build(RootVs("  - delegate: {name: leaf, namespace: team}"), DelegateVs($"  - {To("v2")}", ns: "team", extra: "exportTo: [default]"));

        Assert.Equal(ActionYaml.V2, TestConfig.ClusterOf(RouteOf(result, "/")));
    }

    // A delegate's problems are reported at the delegate, once, however many roots use it.
    [Fact]
    public void Build_DelegateWithUnknownSubset_OneErrorAtTheDelegate()
    {
        var errors = TestConfig.Errors(TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            RootVs("  - match: [{uri: {prefix: /a}}]\n    delegate: {name: leaf}\n  - match: [{uri: {prefix: /b}}]\n    delegate: {name: leaf}"),
            DelegateVs($"  - {To("v9")}")));

        Assert.Equal(["test.yaml[4] VirtualService default/leaf: spec.http[0].route[0].destination.subset: subset \"v9\" is not defined by any DestinationRule for backend.example.internal"], errors);
    }

    // ValidateVirtualService for a VirtualService without hosts, and validateHTTPRouteConflict: "delegate HTTP route
    // cannot contain delegate".
    [Theory]
    [InlineData("gateways: [gw]", "  - route: [{destination: {host: backend.example.internal}}]", "spec.gateways: a VirtualService without hosts is a delegate, which must not name gateways; add hosts or remove gateways")]
    [InlineData("tcp: [{route: [{destination: {host: backend.example.internal}}]}]", "  - route: [{destination: {host: backend.example.internal}}]", "spec.tcp: a VirtualService without hosts is a delegate, which has http routes only")]
    [InlineData("", "  - delegate: {name: other}", "spec.http[0].delegate: a delegate VirtualService's routes cannot delegate again: Istio supports one level of delegation")]
    public void Build_InvalidDelegate_Error(string extra, string http, string expected)
    {
        var errors = TestConfig.Errors(TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, RootVs("  - delegate: {name: leaf}"), DelegateVs(http, extra: extra)));

        Assert.Equal(["test.yaml[4] VirtualService default/leaf: " + expected], errors);
    }

    // The merged list is translated like any VirtualService's: after a route matching everything, the root's later
    // routes are unreachable (BuildHTTPRoutesForVirtualService).
    [Fact]
    public void Build_DelegateCatchAll_LaterRootRoutesUnreachable()
    {
        var result = Build(RootVs($"  - delegate: {{name: leaf}}\n  - {To("v1")}"), DelegateVs($"  - {To("v2")}"));

        Assert.Equal(ActionYaml.V2, TestConfig.ClusterOf(RouteOf(result, "/")));
        Assert.Equal([Root + "spec.http[1]: unreachable: an earlier route matches every request"], result.Warnings);
    }
}
