namespace Proxy.Istio.Tests.Parsing;

public class IstioObjectParserTests
{
    [Theory]
    [InlineData("networking.istio.io/v1")]
    [InlineData("networking.istio.io/v1beta1")]
    [InlineData("networking.istio.io/v1alpha3")]
    public void Build_SupportedApiVersions_Accepted(string apiVersion)
    {
        TestConfig.BuildValid(TestConfig.Gateway.Replace("networking.istio.io/v1", apiVersion, StringComparison.Ordinal));
    }

    [Fact]
    public void Build_UnknownIstioVersion_Error()
    {
        Assert.Equal(
            ["test.yaml[0] Gateway default/gw: apiVersion: unsupported version \"networking.istio.io/v2\"; expected networking.istio.io/v1, v1beta1 or v1alpha3"],
            TestConfig.Errors(TestConfig.Gateway.Replace("networking.istio.io/v1", "networking.istio.io/v2", StringComparison.Ordinal)));
    }

    [Fact]
    public void Build_OtherKinds_SkippedWithWarning()
    {
        var result = TestConfig.Build(TestConfig.Docs("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: x}
            data: {a: b}
            """, """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: y}
            """));

        Assert.True(result.IsValid);
        Assert.Equal(
            [
                "test.yaml[0]: skipped: ConfigMap (v1) is not a Gateway, VirtualService, DestinationRule or ServiceEntry of networking.istio.io",
                "test.yaml[1]: skipped: AuthorizationPolicy (security.istio.io/v1) is not a Gateway, VirtualService, DestinationRule or ServiceEntry of networking.istio.io",
            ],
            result.Warnings);
        Assert.Empty(result.Config!.Listeners);
    }

    [Fact]
    public void Build_NamespaceOmitted_DefaultsToDefault()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway.Replace("  namespace: default\n", string.Empty, StringComparison.Ordinal), TestConfig.Backend,
            TestConfig.VirtualService("  - route:\n    - destination: {host: backend.example.internal}"));

        // The VirtualService (namespace default) binds "gw", so the Gateway must be default/gw.
        Assert.NotNull(TestConfig.Route(TestConfig.BuildValid(yaml), "x", "/"));
    }

    [Fact]
    public void Build_DuplicateObject_ErrorNamesFirstDefinition()
    {
        Assert.Equal(
            ["test.yaml[1] Gateway default/gw: metadata.name: duplicate Gateway default/gw; first defined in test.yaml[0]"],
            TestConfig.Errors(TestConfig.Docs(TestConfig.Gateway, TestConfig.Gateway)));
    }

    [Fact]
    public void Build_SameNameDifferentKindOrNamespace_NotDuplicate()
    {
        TestConfig.BuildValid(TestConfig.Docs(TestConfig.Gateway, TestConfig.Gateway.Replace("namespace: default", "namespace: other", StringComparison.Ordinal)));
    }

    [Fact]
    public void Build_MissingKindNameOrMapping_Errors()
    {
        Assert.Equal(
            [
                "test.yaml[0]: kind: is required",
                "test.yaml[1] Gateway default/(unnamed): metadata.name: is required",
                "test.yaml[2]: a document must be a mapping with apiVersion, kind, metadata and spec",
            ],
            TestConfig.Errors("apiVersion: networking.istio.io/v1\n---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {}\n---\n- a\n- b\n"));
    }

    [Fact]
    public void Build_UnknownField_ErrorNotSilentlyIgnored()
    {
        // A typo such as "matchs" would otherwise turn a conditional route into a catch-all.
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            TestConfig.VirtualService("  - matchs: [{uri: {prefix: /a}}]\n    route:\n    - destination: {host: backend.example.internal}"));

        Assert.Equal(["test.yaml[3] VirtualService default/vs: spec.http[0].matchs: unknown field"], TestConfig.Errors(yaml));
    }

    [Fact]
    public void Build_UnsupportedFields_WarningsNamingFileObjectAndField()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, TestConfig.VirtualService("""
              - route:
                - destination: {host: backend.example.internal}
                timeout: 5s
                retries: {attempts: 3}
                rewrite: {uri: /}
            """), """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: other}
            spec:
              host: other.example.internal
              trafficPolicy: {proxyProtocol: {version: V1}}
            """);

        var result = TestConfig.Build(yaml);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(
            [
                "test.yaml[4] DestinationRule default/other: spec.trafficPolicy.proxyProtocol: not supported yet; ignored",
            ],
            result.Warnings);
    }

    [Fact]
    public void Build_WrongTypes_Errors()
    {
        var yaml = TestConfig.Docs("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              selector: [a]
              servers:
              - port: {number: "80", name: http, protocol: HTTP}
                hosts: "*"
            """);

        Assert.Equal(
            [
                "test.yaml[0] Gateway default/gw: spec.selector: expected a mapping, got a list",
                "test.yaml[0] Gateway default/gw: spec.servers[0].port.number: expected an integer, got the string \"80\"",
                "test.yaml[0] Gateway default/gw: spec.servers[0].hosts: expected a list, got the string \"*\"",
                "test.yaml[0] Gateway default/gw: spec.servers[0].hosts: at least one host is required",
            ],
            TestConfig.Errors(yaml));
    }
}
