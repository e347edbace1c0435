using Proxy.Engine.Config;

namespace Proxy.Istio.Tests.Parsing;

public class ServiceEntryParserTests
{
    private static string Config(string seSpec, string destination = "{host: svc.example.internal}") => TestConfig.Docs(TestConfig.Gateway, $"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {"{name: svc}"}
        spec:
        {seSpec}
        """, TestConfig.VirtualService($"  - route: [{{destination: {destination}}}]"));

    private static IReadOnlyList<EndpointConfig> Endpoints(string seSpec, string destination = "{host: svc.example.internal}") =>
        TestConfig.BuildValid(Config(seSpec, destination)).Clusters.Single().Endpoints;

    // service_entry.proto WorkloadEntry.ports: "Set of ports associated with the endpoint. If the port map is specified,
    // it must be a map of servicePortName to this endpoint's port"; ServicePort.targetPort otherwise; else the port.
    [Theory]
    [InlineData("[{number: 80, name: http, protocol: HTTP}]", "{address: 10.0.0.1}", 80)]
    [InlineData("[{number: 80, name: http, protocol: HTTP, targetPort: 8080}]", "{address: 10.0.0.1}", 8080)]
    [InlineData("[{number: 80, name: http, protocol: HTTP, targetPort: 8080}]", "{address: 10.0.0.1, ports: {http: 9090}}", 9090)]
    public void Build_EndpointPort_MapThenTargetPortThenNumber(string ports, string endpoint, int expected)
    {
        var endpoints = Endpoints($"  hosts: [svc.example.internal]\n  resolution: STATIC\n  ports: {ports}\n  endpoints: [{endpoint}]");

        Assert.Equal(new EndpointConfig("10.0.0.1", expected), Assert.Single(endpoints) with { Labels = null });
    }

    [Fact]
    public void Build_DnsWithoutEndpoints_HostIsTheDnsName()
    {
        // "DNS: ... If no endpoints are specified, the proxy will resolve the DNS address specified in the hosts field."
        var endpoints = Endpoints("  hosts: [svc.example.internal]\n  resolution: DNS\n  ports: [{number: 443, name: https, protocol: TLS}]");

        Assert.Equal(new EndpointConfig("svc.example.internal", 443), Assert.Single(endpoints));
    }

    [Theory]
    [InlineData("DNS")]
    [InlineData("DNS_ROUND_ROBIN")]
    public void Build_DnsWithEndpoints_DnsNamesKept(string resolution)
    {
        var endpoints = Endpoints($"  hosts: [svc.example.internal]\n  resolution: {resolution}\n  ports: [{{number: 80, name: http}}]\n  endpoints: [{{address: a.example.internal, weight: 3}}, {{address: 10.1.1.1}}]");

        Assert.Equal([new EndpointConfig("a.example.internal", 80, 3), new EndpointConfig("10.1.1.1", 80, 1)], endpoints.Select(e => e with { Labels = null }));
    }

    [Fact]
    public void Build_ShortHost_QualifiedAndReachedBothWays()
    {
        // DESIGN.md: a destination host matches a ServiceEntry host literally or after qualification.
        const string Se = "  hosts: [svc]\n  resolution: STATIC\n  ports: [{number: 80, name: http}]\n  endpoints: [{address: 10.0.0.1}]";

        var shortName = TestConfig.BuildValid(Config(Se, "{host: svc}"));
        var fullName = TestConfig.BuildValid(Config(Se, "{host: svc.default.svc.cluster.local}"));

        Assert.Equal("outbound|80||svc.default.svc.cluster.local", Assert.Single(shortName.Clusters).Name);
        Assert.Equal("outbound|80||svc.default.svc.cluster.local", Assert.Single(fullName.Clusters).Name);
    }

    [Fact]
    public void Build_ResolutionNone_WarnedNoEndpoints()
    {
        var result = TestConfig.Build(Config("  hosts: [svc.example.internal]\n  ports: [{number: 80, name: http}]"));

        Assert.True(result.IsValid);
        Assert.Equal(["test.yaml[1] ServiceEntry default/svc: spec.resolution: NONE (pass-through to the original destination) is not supported by a standalone gateway; its hosts have no endpoints (503)"], result.Warnings);
        Assert.Empty(result.Config!.Clusters.Single().Endpoints);
    }

    [Theory]
    [InlineData("  resolution: STATIC\n  ports: [{number: 80, name: http}]", "spec.hosts: at least one host is required")]
    [InlineData("  hosts: [svc.example.internal]\n  resolution: STATIC", "spec.ports: at least one port is required")]
    [InlineData("  hosts: [svc.example.internal]\n  resolution: STATIK\n  ports: [{number: 80, name: http}]", "spec.resolution: invalid value \"STATIK\"; expected one of NONE, STATIC, DNS, DNS_ROUND_ROBIN")]
    [InlineData("  hosts: [svc.example.internal]\n  location: OUTSIDE\n  resolution: DNS\n  ports: [{number: 80, name: http}]", "spec.location: invalid value \"OUTSIDE\"; expected one of MESH_EXTERNAL, MESH_INTERNAL")]
    [InlineData("  hosts: [svc.example.internal]\n  resolution: STATIC\n  ports: [{number: 80}]\n  endpoints: [{address: 10.0.0.1}]", "spec.ports[0].name: is required")]
    [InlineData("  hosts: [svc.example.internal]\n  resolution: STATIC\n  ports: [{number: 80, name: a}, {number: 80, name: b}]\n  endpoints: [{address: 10.0.0.1}]", "spec.ports[1].number: port 80 is already defined")]
    [InlineData("  hosts: [svc.example.internal]\n  resolution: STATIC\n  ports: [{number: 80, name: http}]\n  endpoints: [{address: backend.local}]", "spec.endpoints[0].address: \"backend.local\" is not an IP address, which STATIC resolution requires")]
    [InlineData("  hosts: [svc.example.internal]\n  resolution: STATIC\n  ports: [{number: 80, name: http}]\n  endpoints: [{address: 10.0.0.1, ports: {grpc: 9000}}]", "spec.endpoints[0].ports.grpc: port name \"grpc\" is not defined in spec.ports")]
    [InlineData("  hosts: [\"*.example.internal\"]\n  resolution: DNS\n  ports: [{number: 80, name: http}]", "spec.hosts: wildcard host \"*.example.internal\" cannot be resolved with DNS resolution and no endpoints")]
    public void Build_InvalidServiceEntry_Error(string seSpec, string expected)
    {
        Assert.Contains("test.yaml[1] ServiceEntry default/svc: " + expected, TestConfig.Errors(Config(seSpec)));
    }
}
