using static Proxy.Istio.Tests.Actions.ActionYaml;

namespace Proxy.Istio.Tests.Actions;

/// <summary>
/// HTTPRoute.timeout (virtual_service.proto): "Timeout for HTTP requests, default is disabled." Validated as Istio's
/// validateHTTPRoute does (ValidateDuration: at least 1ms, whole milliseconds) and compiled to the engine's route
/// timeout, as route.go TranslateRoute sets Envoy's route timeout.
/// </summary>
public sealed class TimeoutTests
{
    [Fact]
    public void Build_Timeout_SetOnRoute()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), Route(ToV1("    timeout: 5s")).Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), Route(ToV1("    timeout: 1.5s")).Timeout);
        Assert.Empty(Warnings(ToV1("    timeout: 250ms")));
    }

    // "default is disabled".
    [Fact]
    public void Build_NoTimeout_Disabled()
    {
        Assert.Null(Route(ToV1("")).Timeout);
    }

    // Envoy: a route timeout of 0 disables it; istiod's ValidateDuration would refuse it, hence the warning.
    [Fact]
    public void Build_ZeroTimeout_DisabledWithWarning()
    {
        var http = ToV1("    timeout: 0s");

        Assert.Null(Route(http).Timeout);
        Assert.Equal(["spec.http[0].timeout: 0s disables the route timeout (Istio's default); istiod's validation would reject it, so omit the field instead"], Warnings(http));
    }

    [Theory]
    [InlineData("5", "spec.http[0].timeout: invalid duration \"5\"; expected e.g. 10s, 1.5s, 250ms, 1m or 1h")]
    [InlineData("100us", "spec.http[0].timeout: duration \"100us\" must be at least 1ms, in whole milliseconds")]
    [InlineData("1.0005s", "spec.http[0].timeout: duration \"1.0005s\" must be at least 1ms, in whole milliseconds")]
    public void Build_InvalidTimeout_Error(string value, string expected)
    {
        Assert.Equal(expected, Error(ToV1($"    timeout: {value}")));
    }

    [Fact]
    public void Build_TimeoutWrongType_OneError()
    {
        Assert.Equal("spec.http[0].timeout: expected a string, got a mapping", Error(ToV1("    timeout: {seconds: 5}")));
    }

    // The timeout covers forwarding: a direct response answers at the gateway and has none to keep.
    [Fact]
    public void Build_DirectResponseWithTimeout_NoTimeout()
    {
        var route = Route("  - directResponse: {status: 200, body: {string: ok}}\n    timeout: 5s");

        Assert.Null(route.Timeout);
    }

    // Istio mergeHTTPRoute (virtualservice.go): a delegate route without a timeout takes its root's.
    [Fact]
    public void Build_Delegate_InheritsRootTimeoutUnlessItsOwn()
    {
        const string Leaf = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: leaf, namespace: default}
            spec:
              http:
              - match: [{uri: {prefix: /own}}]
                route: [{destination: {host: backend.example.internal, subset: v1}}]
                timeout: 2s
              - match: [{uri: {prefix: /off}}]
                route: [{destination: {host: backend.example.internal, subset: v1}}]
                timeout: 0s
              - route: [{destination: {host: backend.example.internal, subset: v1}}]
            """;
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            TestConfig.VirtualService("  - delegate: {name: leaf}\n    timeout: 9s", name: "root"), Leaf);

        var result = TestConfig.Build(yaml);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(TimeSpan.FromSeconds(2), TestConfig.Route(result.Config!, "x", "/own")!.Timeout);
        Assert.Null(TestConfig.Route(result.Config!, "x", "/off")!.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(9), TestConfig.Route(result.Config!, "x", "/other")!.Timeout);
    }
}
