using static Proxy.Istio.Tests.Matching.MatchTable;

namespace Proxy.Istio.Tests.Matching;

/// <summary>
/// HTTPMatchRequest.port (virtual_service.proto): "Specifies the ports on the host that is being addressed". At a
/// gateway Istio keeps a match only in the route table of the Gateway server port it names (pilot route.go
/// TranslateRoute: <c>match.Port != listenPort</c> drops it), so it is decided per listener, not per request.
/// </summary>
public sealed class PortMatchTests
{
    private const string TwoPorts = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw}
        spec:
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["*"]
          - port: {number: 8080, name: http-alt, protocol: HTTP}
            hosts: ["*"]
        """;

    [Theory]
    [InlineData("[{port: 8080}]", 80, false)]
    [InlineData("[{port: 8080}]", 8080, true)]
    [InlineData("[{port: 80}]", 80, true)]
    [InlineData("[{port: 443}]", 8080, false)]
    // Blocks are ORed: each block's port is decided on its own.
    [InlineData("[{port: 80, uri: {prefix: /a}}, {port: 8080}]", 80, true)]
    [InlineData("[{port: 80, uri: {prefix: /b}}, {port: 8080}]", 80, false)]
    [InlineData("[{port: 80, uri: {prefix: /b}}, {port: 8080}]", 8080, true)]
    public void Route_Port_OnlyOnThatGatewayPort(string match, int port, bool hit)
    {
        var yaml = TestConfig.Docs(TwoPorts, TestConfig.Backend, TestConfig.VirtualService(RouteYaml(Hit, match)));

        Assert.Equal(hit, Hits(TestConfig.Router(TestConfig.BuildValid(yaml), port), "/a"));
    }

    // The port is the Gateway server's port number, not the socket the listener happens to bind.
    [Fact]
    public void Route_PortWithBindOverride_MatchesTheGatewayPort()
    {
        var yaml = TestConfig.Docs(TwoPorts, TestConfig.Backend, TestConfig.VirtualService(RouteYaml(Hit, "[{port: 8080}]")));
        var options = new IstioBuildOptions { PortOverrides = new Dictionary<int, int> { [8080] = 0, [80] = 0 } };

        Assert.True(Hits(TestConfig.Router(TestConfig.BuildValid(yaml, options), 8080), "/"));
    }
}
