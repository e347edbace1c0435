namespace Proxy.Istio.Tests;

public class ConfigErrorTests
{
    [Fact]
    public void ToString_AllParts_DesignMdFormat()
    {
        var error = new ConfigError("routes.yaml", 2, "VirtualService default/reviews", "spec.http[0].route[1].destination.subset",
            "subset \"v3\" is not defined by any DestinationRule for reviews.default.svc.cluster.local");

        Assert.Equal(
            "routes.yaml[2] VirtualService default/reviews: spec.http[0].route[1].destination.subset: subset \"v3\" is not defined by any DestinationRule for reviews.default.svc.cluster.local",
            error.ToString());
    }

    [Theory]
    [InlineData(0, null, "", "a.yaml[0]: boom")]
    [InlineData(1, "Gateway ns/gw", "", "a.yaml[1] Gateway ns/gw: boom")]
    [InlineData(-1, null, "", "a.yaml: boom")]
    [InlineData(3, null, "kind", "a.yaml[3]: kind: boom")]
    public void ToString_MissingParts_Omitted(int document, string? objectRef, string field, string expected)
    {
        Assert.Equal(expected, new ConfigError("a.yaml", document, objectRef, field, "boom").ToString());
    }

    // DESIGN.md: "validate ... exit 1 with every error listed"; each names the file, document, object and field path.
    [Fact]
    public void Build_SeveralInvalidRouteActions_EveryErrorLocated()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, TestConfig.VirtualService("""
              - match: [{uri: {exact: /a}}]
                redirect: {prefixRewrite: /b, redirectCode: 399}
              - directResponse: {status: 99}
              - route: [{destination: {host: backend.example.internal}, headers: {response: {set: {host: x}}}}]
                fault: {abort: {httpStatus: 700}}
                corsPolicy: {allowMethods: [BREW]}
            """, name: "reviews"));

        var result = IstioConfigBuilder.Build([new IstioSource("routes.yaml", yaml)], new IstioBuildOptions());

        Assert.Equal(
            [
                "routes.yaml[3] VirtualService default/reviews: spec.http[0].redirect.prefixRewrite: needs every uri match of the route to be a prefix match",
                "routes.yaml[3] VirtualService default/reviews: spec.http[0].redirect.redirectCode: redirect code 399 is not supported by Envoy; use 301, 302, 303, 307 or 308",
                "routes.yaml[3] VirtualService default/reviews: spec.http[1].directResponse.status: HTTP status 99 is not in range 200-599",
                "routes.yaml[3] VirtualService default/reviews: spec.http[2].route[0].headers.response.set.host: invalid header \"host\": cannot set Host header",
                "routes.yaml[3] VirtualService default/reviews: spec.http[2].fault.abort.httpStatus: HTTP status 700 is not in range 200-599",
                "routes.yaml[3] VirtualService default/reviews: spec.http[2].corsPolicy.allowMethods[0]: \"BREW\" is not a supported HTTP method",
            ],
            result.Errors.Select(static e => e.ToString()));
    }
}
