namespace Proxy.Host.Tests.Cli;

/// <summary>
/// <c>proxy validate</c> on VirtualServices with invalid route actions: exit code 1 (DESIGN.md "1 invalid
/// configuration") and the error in DESIGN.md's format, <c>file[i] Kind namespace/name: field.path: message</c>.
/// </summary>
public sealed class RouteActionValidateTests
{
    private const string Base = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw}
        spec:
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: ["*"]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: reviews}
        spec:
          hosts: [reviews.default.svc.cluster.local]
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints: [{address: 127.0.0.1, labels: {version: v1}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          subsets: [{name: v1, labels: {version: v1}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          hosts: ["*"]
          gateways: [gw]
          http:

        """;

    [Theory]

    // "regex: RE2 style regex-based match"; Istio's webhook compiles it.
    [InlineData("""
          - match: [{uri: {regex: "/api/(v1"}}]
            route: [{destination: {host: reviews}}]
        """, "spec.http[0].match[0].uri.regex: invalid regex \"/api/(v1\"")]

    // HTTPRouteDestination.weight: validateWeight refuses a negative weight.
    [InlineData("""
          - route:
            - destination: {host: reviews, subset: v1}
              weight: -5
            - destination: {host: reviews}
              weight: 105
        """, "spec.http[0].route[0].weight: weight -5 must not be negative")]

    // Destination.subset: "The name of a subset within the service", defined by a DestinationRule.
    [InlineData("""
          - route: [{destination: {host: reviews, subset: v3}}]
        """, "spec.http[0].route[0].destination.subset: subset \"v3\" is not defined by any DestinationRule for reviews.default.svc.cluster.local")]

    // ValidateHTTPHeaderValue: a header value cannot hold CR or LF (header injection).
    [InlineData("""
          - route: [{destination: {host: reviews}}]
            headers: {request: {set: {x-user: "alice\r\nx-admin: true"}}}
        """, "spec.http[0].headers.request.set.x-user: header value for \"x-user\" must not contain CR, LF or NUL")]

    // validateHTTPRewrite: "rewrite may only contain one of URI or UriRegexRewrite".
    [InlineData("""
          - route: [{destination: {host: reviews}}]
            rewrite: {uri: /v2, uriRegexRewrite: {match: "^/v1/(.*)", rewrite: "/v2/\\1"}}
        """, "spec.http[0].rewrite: only one of uri and uriRegexRewrite may be set")]
    public async Task Validate_InvalidRouteAction_Exits1WithErrorInDesignFormat(string http, string expected)
    {
        using var config = new TempConfig();
        var path = config.Write("routes.yaml", Base + http);

        var result = await CliRunner.RunAsync("validate", "--config", path);

        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain("configuration is valid", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(result.StderrLines, l => l.StartsWith($"{path}[3] VirtualService default/reviews: {expected}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_EveryActionValid_Exits0()
    {
        using var config = new TempConfig();
        var path = config.Write("routes.yaml", Base + """
              - match: [{uri: {prefix: /old}}]
                redirect: {uri: /new, redirectCode: 308}
              - match: [{uri: {exact: /health}}]
                directResponse: {status: 200, body: {string: ok}}
              - match: [{uri: {prefix: /api}}]
                rewrite: {uri: /, authority: reviews.internal}
                headers: {request: {set: {x-env: prod}}, response: {remove: [server]}}
                fault: {delay: {fixedDelay: 10ms, percentage: {value: 1}}}
                mirror: {host: reviews}
                mirrorPercentage: {value: 10}
                corsPolicy: {allowOrigins: [{exact: "https://example.com"}], allowMethods: [GET]}
                route: [{destination: {host: reviews, subset: v1}}]
            """);

        var result = await CliRunner.RunAsync("validate", "--config", path);

        Assert.True(result.ExitCode == 0, result.Stderr);
    }
}
