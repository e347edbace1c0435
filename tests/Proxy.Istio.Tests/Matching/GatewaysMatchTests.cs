using static Proxy.Istio.Tests.Matching.MatchTable;

namespace Proxy.Istio.Tests.Matching;

/// <summary>
/// HTTPMatchRequest.gateways (virtual_service.proto): "Names of gateways where the rule should be applied. Gateway
/// names in the top-level gateways field of the VirtualService (if any) are overridden." Istio keeps a match at a
/// gateway when the list names it (pilot route.go sourceMatchHTTP); <c>mesh</c> names the sidecars, never a gateway.
/// </summary>
public sealed class GatewaysMatchTests
{
    private static string Gateway(string name, int port) => $$"""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: {{name}}}
        spec:
          servers:
          - port: {number: {{port}}, name: http, protocol: HTTP}
            hosts: ["*"]
        """;

    private static string Yaml(string vsGateways, string match) => TestConfig.Docs(Gateway("gw-a", 80), Gateway("gw-b", 81), TestConfig.Backend, $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {"{"}name: vs{"}"}
        spec:
          hosts: ["*"]
          gateways: {vsGateways}
          http:
        {RouteYaml(Hit, match)}
        {RouteYaml("fallback", null)}
        """);

    [Theory]
    // The match's list replaces the top-level one for that match.
    [InlineData("[gw-a, gw-b]", "[{gateways: [gw-b]}]", 80, "fallback")]
    [InlineData("[gw-a, gw-b]", "[{gateways: [gw-b]}]", 81, Hit)]
    [InlineData("[gw-a, gw-b]", "[{gateways: [default/gw-a]}]", 80, Hit)]
    [InlineData("[gw-a, gw-b]", "[{gateways: [gw-a, gw-b]}]", 81, Hit)]
    // mesh is ignored at a gateway: a match for mesh only never applies, mesh beside a gateway name is harmless.
    [InlineData("[gw-a, mesh]", "[{gateways: [mesh]}]", 80, "fallback")]
    [InlineData("[gw-a, mesh]", "[{gateways: [mesh, gw-a]}]", 80, Hit)]
    // A gateway only serves VirtualServices whose top-level gateways name it; a match cannot add one.
    [InlineData("[gw-a]", "[{gateways: [gw-b]}]", 80, "fallback")]
    // Blocks are ORed, each with its own gateways.
    [InlineData("[gw-a, gw-b]", "[{gateways: [gw-b]}, {uri: {prefix: /a}}]", 80, Hit)]
    public void Route_MatchGateways_OverrideTopLevel(string vsGateways, string match, int port, string expected)
    {
        var config = TestConfig.BuildValid(Yaml(vsGateways, match));

        Assert.Equal(expected, RouteName(TestConfig.Router(config, port), "/a"));
    }

    [Fact]
    public void Route_MatchGatewaysNotNamingTopLevelGateway_NotServedThere()
    {
        var config = TestConfig.BuildValid(Yaml("[gw-a]", "[{gateways: [gw-b]}]"));

        Assert.DoesNotContain(config.Listeners, l => l.Name.EndsWith("_81", StringComparison.Ordinal) && l.Router!.Route(Request("/a")) is not null);
    }
}
