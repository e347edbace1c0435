namespace Proxy.Istio.Tests.Parsing;

public class VirtualServiceParserTests
{
    private const string Prefix = "test.yaml[3] VirtualService default/vs: ";

    private static string[] Errors(string http) =>
        TestConfig.Errors(TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, TestConfig.VirtualService(http)));

    [Theory]

    // virtual_service.proto StringMatch is a oneof: exactly one of exact, prefix, regex.
    [InlineData("  - match: [{uri: {}}]\n    route: [{destination: {host: backend.example.internal}}]", "spec.http[0].match[0].uri: one of exact, prefix or regex is required")]
    [InlineData("  - match: [{uri: {exact: /a, prefix: /a}}]\n    route: [{destination: {host: backend.example.internal}}]", "spec.http[0].match[0].uri: only one of exact, prefix or regex may be set")]
    [InlineData("  - match: [{uri: {suffix: /a}}]\n    route: [{destination: {host: backend.example.internal}}]", "spec.http[0].match[0].uri.suffix: unknown field")]

    // "regex: RE2 style regex-based match"; Istio validates that the regex compiles.
    [InlineData("  - match: [{uri: {regex: \"/a(\"}}]\n    route: [{destination: {host: backend.example.internal}}]", "spec.http[0].match[0].uri.regex: invalid regex \"/a(\": Invalid pattern '/a(' at offset 3. Not enough )'s.")]
    [InlineData("  - match: [{headers: {x: {regex: \"\"}}}]\n    route: [{destination: {host: backend.example.internal}}]", "spec.http[0].match[0].headers.x.regex: regex must not be empty")]
    [InlineData("  - match: [{method: {regex: \"(a)\\\\1\"}}]\n    route: [{destination: {host: backend.example.internal}}]", "spec.http[0].match[0].method.regex: invalid regex \"(a)\\1\" (RE2 syntax has no backreferences, lookarounds or atomic groups): RegexOptions.NonBacktracking is not supported in conjunction with expressions containing: 'backreference (\\ number)'.")]

    // queryParams take a prefix since istio/api#2712 (Matching/QueryParamsMatchTests), but, as for headers, not an
    // empty one: validateHTTPRouteMatchRequest runs validateStringMatch on each, "prefix string match should not be
    // empty".
    [InlineData("  - match: [{queryParams: {a: {prefix: \"\"}}}]\n    route: [{destination: {host: backend.example.internal}}]", "spec.http[0].match[0].queryParams.a.prefix: prefix string match should not be empty")]

    // HTTPRouteDestination.weight: relative; negative makes no sense.
    [InlineData("  - route:\n    - destination: {host: backend.example.internal, subset: v1}\n      weight: -10\n    - destination: {host: backend.example.internal, subset: v2}\n      weight: 20", "spec.http[0].route[0].weight: weight -10 must not be negative")]
    [InlineData("  - route:\n    - destination: {host: backend.example.internal, subset: v1}\n      weight: ten", "spec.http[0].route[0].weight: expected an integer, got \"ten\"")]
    [InlineData("  - route:\n    - weight: 100", "spec.http[0].route[0].destination: is required")]
    [InlineData("  - route:\n    - destination: {subset: v1}", "spec.http[0].route[0].destination.host: is required")]
    [InlineData("  - route:\n    - destination: {host: \"*.example.internal\"}", "spec.http[0].route[0].destination.host: destination host \"*.example.internal\" must not be a wildcard")]
    [InlineData("  - route:\n    - destination: {host: backend.example.internal, port: {}}", "spec.http[0].route[0].destination.port.number: is required")]

    // validateHTTPRoute: one of route, redirect, directResponse or delegate.
    [InlineData("  - name: empty", "spec.http[0]: one of route, redirect, directResponse or delegate is required")]
    [InlineData("  - route: [{destination: {host: backend.example.internal}}]\n    redirect: {uri: /x}", "spec.http[0]: only one of route, redirect, directResponse or delegate may be set (found route, redirect)")]
    [InlineData("  - route: []", "spec.http[0].route: at least one destination is required")]
    [InlineData("  - route:\n    - destination: {host: backend.example.internal, subset: v1}\n    - destination: {host: backend.example.internal, subset: v2}", "spec.http[0].route: the weights of all destinations are 0; at least one must be positive")]

    // Cross-object references, resolved against ServiceEntries and DestinationRules.
    [InlineData("  - route: [{destination: {host: ratings}}]", "spec.http[0].route[0].destination.host: host \"ratings\" (ratings.default.svc.cluster.local) is not defined by any ServiceEntry")]
    [InlineData("  - route: [{destination: {host: other.example.internal}}]", "spec.http[0].route[0].destination.host: host \"other.example.internal\" is not defined by any ServiceEntry")]
    [InlineData("  - route: [{destination: {host: backend.example.internal, subset: v3}}]", "spec.http[0].route[0].destination.subset: subset \"v3\" is not defined by any DestinationRule for backend.example.internal")]
    [InlineData("  - route: [{destination: {host: backend.example.internal, port: {number: 8080}}}]", "spec.http[0].route[0].destination.port.number: port 8080 is not defined by ServiceEntry default/backend for backend.example.internal")]
    public void Build_InvalidHttpRoute_Error(string http, string expected)
    {
        Assert.Equal(Prefix + expected, Assert.Single(Errors(http)));
    }

    // "hosts ... Must be empty for a delegate VirtualService", and ValidateVirtualService: "delegate virtual service
    // must have no gateways specified".
    [Fact]
    public void Build_MissingHostsWithGateways_DelegateError()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: vs}
            spec:
              gateways: [gw]
              http:
              - route: [{destination: {host: backend.example.internal}}]
            """);

        Assert.Equal([Prefix + "spec.gateways: a VirtualService without hosts is a delegate, which must not name gateways; add hosts or remove gateways"], TestConfig.Errors(yaml));
    }

    [Fact]
    public void Build_DesignMdExample_ExactMessage()
    {
        // DESIGN.md: routes.yaml[2] VirtualService default/reviews: spec.http[0].route[1].destination.subset: ...
        var yaml = TestConfig.Docs(TestConfig.Gateway, """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              resolution: STATIC
              ports: [{number: 9080, name: http, protocol: HTTP}]
              endpoints: [{address: 10.0.0.1, labels: {version: v1}}]
            """, """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              gateways: [gw]
              http:
              - route:
                - destination: {host: reviews}
                  weight: 50
                - destination: {host: reviews, subset: v3}
                  weight: 50
            """);

        var result = IstioConfigBuilder.Build([new IstioSource("routes.yaml", yaml)], new IstioBuildOptions());

        Assert.Equal(
            ["routes.yaml[2] VirtualService default/reviews: spec.http[0].route[1].destination.subset: subset \"v3\" is not defined by any DestinationRule for reviews.default.svc.cluster.local"],
            result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Build_PortOmittedWithSeveralServiceEntryPorts_Error()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: multi}
            spec:
              hosts: [multi.example.internal]
              resolution: DNS
              ports:
              - {number: 80, name: http, protocol: HTTP}
              - {number: 8080, name: http-alt, protocol: HTTP}
            """, TestConfig.VirtualService("  - route: [{destination: {host: multi.example.internal}}]"));

        Assert.Equal(
            ["test.yaml[2] VirtualService default/vs: spec.http[0].route[0].destination.port: is required: ServiceEntry default/multi defines several ports for multi.example.internal (80, 8080)"],
            TestConfig.Errors(yaml));
    }

    [Fact]
    public void Build_GatewaysOmitted_WarnedMeshOnlyAndNotServed()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: vs}
            spec:
              hosts: ["*"]
              http:
              - route: [{destination: {host: backend.example.internal}}]
            """);

        var result = TestConfig.Build(yaml);

        Assert.True(result.IsValid);
        Assert.Equal([Prefix + "spec.gateways: omitted, so the VirtualService applies to the mesh only and no gateway serves it"], result.Warnings);
        Assert.Null(TestConfig.Route(result.Config!, "x", "/"));
    }

    [Fact]
    public void Build_UnknownGateway_Warning()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, TestConfig.VirtualService("  - route: [{destination: {host: backend.example.internal}}]").Replace("[gw]", "[gw, mesh, prod/edge]", StringComparison.Ordinal));

        var result = TestConfig.Build(yaml);

        Assert.True(result.IsValid);
        Assert.Equal([Prefix + "spec.gateways: Gateway prod/edge is not defined; nothing binds through it"], result.Warnings);
    }
}
