using static Proxy.Istio.Tests.Matching.MatchTable;

namespace Proxy.Istio.Tests.Matching;

/// <summary>
/// HTTPMatchRequest.sourceLabels (virtual_service.proto): "One or more labels that constrain the applicability of a
/// rule to source (client) workloads with the given labels ... Note: This is not a runtime match, but is a selector".
/// istiod applies it to the proxy it builds the route for (pilot route.go sourceMatchHTTP): when the match lists
/// <c>gateways</c> only those are checked; otherwise the labels must be a subset of the proxy's own labels, which for
/// a gateway are the gateway workload's (<c>--labels</c>). A match that fails is left out of the route table; the
/// request can still take a later match block. sourceNamespace cases are in Actions/SourceMatchTests.
/// </summary>
public sealed class SourceLabelsMatchTests
{
    [Theory]
    // Without --labels this instance stands for any gateway workload (as for Gateway selectors): the match holds.
    [InlineData(null, "[{sourceLabels: {app: reviews}, uri: {prefix: /a}}]", "/a", true)]
    [InlineData(null, "[{sourceLabels: {app: reviews}, uri: {prefix: /a}}]", "/b", false)]
    // labels.Instance.SubsetOf: every listed label must be among the proxy's, which may have more.
    [InlineData("istio=ingressgateway,app=gw", "[{sourceLabels: {istio: ingressgateway}, uri: {prefix: /a}}]", "/a", true)]
    [InlineData("istio=ingressgateway", "[{sourceLabels: {istio: ingressgateway, app: gw}}]", "/a", false)]
    [InlineData("istio=ingressgateway", "[{sourceLabels: {istio: egressgateway}}]", "/a", false)]
    // The dropped block takes nothing else with it: the next block still matches.
    [InlineData("istio=ingressgateway", "[{sourceLabels: {app: reviews}}, {uri: {prefix: /a}}]", "/a", true)]
    [InlineData("istio=ingressgateway", "[{sourceLabels: {app: reviews}}, {uri: {prefix: /a}}]", "/b", false)]
    // "if len(match.Gateways) > 0": a match naming this gateway holds whatever its sourceLabels.
    [InlineData("istio=ingressgateway", "[{sourceLabels: {app: reviews}, gateways: [gw]}]", "/a", true)]
    [InlineData("istio=ingressgateway", "[{sourceLabels: {istio: ingressgateway}, gateways: [other]}]", "/a", false)]
    public void Route_SourceLabels_SelectTheGatewayWorkload(string? labels, string match, string target, bool hit)
    {
        var options = new IstioBuildOptions
        {
            Labels = labels?.Split(',').Select(static kv => kv.Split('=')).ToDictionary(static kv => kv[0], static kv => kv[1]),
        };

        Assert.Equal(hit, Hits(RouterWithMatch(match, options), target));
    }
}
