namespace Proxy.Istio.Tests.Actions;

/// <summary>
/// HTTPMatchRequest <c>sourceLabels</c> and <c>sourceNamespace</c> at a gateway. virtual_service.proto calls them
/// selectors, "not a runtime match"; istiod's route.go sourceMatchHTTP applies them to the proxy it builds for: a
/// match naming <c>gateways</c> holds on those gateways whatever its source conditions, otherwise
/// <c>sourceLabels</c> must be among the gateway workload's labels and <c>sourceNamespace</c> must be its namespace.
/// </summary>
public sealed class SourceMatchTests
{
    [Theory]
    // sourceLabels alone: Matching/SourceLabelsMatchTests. Both conditions: each must hold.
    [InlineData("istio=ingressgateway", "{sourceLabels: {istio: ingressgateway}, sourceNamespace: default}", true)]
    [InlineData("istio=ingressgateway", "{sourceLabels: {istio: egressgateway}, sourceNamespace: default}", false)]
    [InlineData(null, "{sourceNamespace: istio-system}", false)]
    [InlineData(null, "{sourceNamespace: istio-system, gateways: [gw]}", true)]
    [InlineData(null, "{sourceNamespace: default, gateways: [other]}", false)]
    public void Build_SourceConditions_DecidedForThisGateway(string? labels, string match, bool served)
    {
        // Without --labels this instance stands for any workload, as it does for Gateway selectors.
        var options = new IstioBuildOptions { Labels = labels?.Split(',').Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]) };
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            TestConfig.VirtualService($"  - match: [{match}]\n    route: [{{destination: {{host: backend.example.internal, subset: v1}}}}]"));

        Assert.Equal(served, TestConfig.Route(TestConfig.BuildValid(yaml, options), "x", "/") is not null);
    }
}
