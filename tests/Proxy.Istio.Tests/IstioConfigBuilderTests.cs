namespace Proxy.Istio.Tests;

public class IstioConfigBuilderTests
{
    [Fact]
    public void Build_ThreeIndependentErrors_AllReportedAtOnce()
    {
        // YARP ConfigValidator style: one pass reports every error, not the first.
        var yaml = TestConfig.Docs("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              servers:
              - port: {number: 80, protocol: HTTP}
                hosts: ["*"]
            """, TestConfig.Backend, TestConfig.VirtualService("""
              - match: [{uri: {regex: "(unclosed"}}]
                route: [{destination: {host: backend.example.internal}}]
              - route: [{destination: {host: backend.example.internal, subset: v9}}]
            """));

        var result = TestConfig.Build(yaml);

        Assert.Null(result.Config);
        Assert.False(result.IsValid);
        Assert.Equal(3, result.Errors.Count);
        var errors = result.Errors.Select(e => e.ToString()).ToList();
        Assert.Equal("test.yaml[0] Gateway default/gw: spec.servers[0].port.name: is required", errors[0]);
        Assert.StartsWith("test.yaml[3] VirtualService default/vs: spec.http[0].match[0].uri.regex: invalid regex \"(unclosed\": ", errors[1]);
        Assert.Equal("test.yaml[3] VirtualService default/vs: spec.http[1].route[0].destination.subset: subset \"v9\" is not defined by any DestinationRule for backend.example.internal", errors[2]);
    }

    [Fact]
    public void Build_ErrorsAcrossFiles_OrderedByFileThenDocument()
    {
        var result = IstioConfigBuilder.Build(
            [
                new IstioSource("a.yaml", "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: a}\nspec: {}\n"),
                new IstioSource("b.yaml", "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: [\n"),
            ],
            new IstioBuildOptions());

        Assert.Equal(["a.yaml", "b.yaml"], result.Errors.Select(e => e.File));
    }

    [Fact]
    public void Build_Empty_ValidWithNothingToServe()
    {
        var result = IstioConfigBuilder.Build([], new IstioBuildOptions());

        Assert.True(result.IsValid);
        Assert.Empty(result.Config!.Listeners);
        Assert.Empty(result.Config.Clusters);
    }

    [Fact]
    public void Build_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => IstioConfigBuilder.Build((IstioSourceSet)null!, new IstioBuildOptions()));
        Assert.Throws<ArgumentNullException>(() => IstioConfigBuilder.Build([], null!));
    }
}
