namespace Proxy.Istio.Tests.Parsing;

public class GatewayParserTests
{
    private static string Gateway(string servers) => $"""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {"{name: gw}"}
        spec:
          servers:
        {servers}
        """;

    // gateway.proto Port: number, protocol REQUIRED; Istio validateServerPort also requires the name
    // ("port name must be set") and a protocol from protocol.Parse.
    [Theory]
    [InlineData("  - port: {name: http, protocol: HTTP}\n    hosts: [\"*\"]", "spec.servers[0].port.number: is required")]
    [InlineData("  - port: {number: 0, name: http, protocol: HTTP}\n    hosts: [\"*\"]", "spec.servers[0].port.number: 0 is out of range [1, 65535]")]
    [InlineData("  - port: {number: 70000, name: http, protocol: HTTP}\n    hosts: [\"*\"]", "spec.servers[0].port.number: 70000 is out of range [1, 65535]")]
    [InlineData("  - port: {number: 80, protocol: HTTP}\n    hosts: [\"*\"]", "spec.servers[0].port.name: is required")]
    [InlineData("  - port: {number: 80, name: http}\n    hosts: [\"*\"]", "spec.servers[0].port.protocol: is required")]
    [InlineData("  - port: {number: 80, name: http, protocol: SMTP}\n    hosts: [\"*\"]", "spec.servers[0].port.protocol: invalid protocol \"SMTP\"; expected one of HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, TCP, TLS, UDP, MONGO, REDIS, MYSQL")]
    [InlineData("  - port: {number: 80, name: http, protocol: HTTP}", "spec.servers[0].hosts: at least one host is required")]
    [InlineData("  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: []", "spec.servers[0].hosts: at least one host is required")]
    [InlineData("  - hosts: [\"*\"]", "spec.servers[0].port: is required")]
    [InlineData("  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [\"Bad_NS/*\"]", "spec.servers[0].hosts[0]: invalid namespace \"Bad_NS\" in host \"Bad_NS/*\"")]
    [InlineData("  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [\"foo.*\"]", "spec.servers[0].hosts[0]: host \"foo.*\" is not a valid DNS name (label \"*\")")]
    public void Build_InvalidServer_Error(string servers, string expected)
    {
        Assert.Equal([$"test.yaml[0] Gateway default/gw: {expected}"], TestConfig.Errors(Gateway(servers)));
    }

    [Fact]
    public void Build_NoServers_Error()
    {
        Assert.Equal(["test.yaml[0] Gateway default/gw: spec.servers: at least one server is required"],
            TestConfig.Errors("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  selector: {istio: ingressgateway}\n"));
    }

    // HTTP/2 and gRPC need an HTTP/2 codec the engine does not have yet; UDP is not proxied.
    [Theory]
    [InlineData("GRPC")]
    [InlineData("HTTP2")]
    [InlineData("GRPC-WEB")]
    [InlineData("UDP")]
    public void Build_UnsupportedProtocolServer_WarnedAndSkipped(string protocol)
    {
        var result = TestConfig.Build(Gateway($"  - port: {{number: 443, name: p, protocol: {protocol}}}\n    hosts: [\"*\"]"));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal([$"test.yaml[0] Gateway default/gw: spec.servers[0].port.protocol: protocol {protocol} is not supported yet; server on port 443 skipped"], result.Warnings);
        Assert.Empty(result.Config!.Listeners);
    }

    [Fact]
    public void Build_ProtocolCaseInsensitive_Served()
    {
        // Istio protocol.Parse is case-insensitive.
        var config = TestConfig.BuildValid(Gateway("  - port: {number: 80, name: http, protocol: http}\n    hosts: [\"*\"]"));

        Assert.Single(config.Listeners);
    }
}
