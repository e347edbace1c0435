using System.Net;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Istio.Routing;
using static Proxy.Istio.Tests.Tls.TlsYaml;

namespace Proxy.Istio.Tests.Tls;

/// <summary>VirtualService tls routes on PASSTHROUGH servers and tcp routes on TCP servers and terminating TLS servers.</summary>
public sealed class L4RouteTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public L4RouteTests() => _dir.WriteCredential("certs");

    public void Dispose() => _dir.Dispose();

    private static string? Route(ITcpRouter router, string? sni) =>
        router.Route(new TcpRouteContext(sni, new IPEndPoint(IPAddress.Loopback, 443), new IPEndPoint(IPAddress.Loopback, 50000)))?.Destinations.Single().Cluster.Name;

    private static string ClusterFor(string subset) => $"outbound|80|{subset}|backend.example.internal";

    [Fact]
    public void Build_HttpsPassthrough_PassthroughChainRoutingBySni()
    {
        var yaml = TestConfig.Docs(
            Gateway(Server("HTTPS", "[\"*.example.com\"]", "{mode: PASSTHROUGH}")),
            TestConfig.Backend,
            VirtualService("vs", "[\"*.example.com\"]", tls:
                To("v1", "{sniHosts: [a.example.com]}") + "\n" + To("v2", "{sniHosts: [\"*.example.com\"]}")));

        var config = TestConfig.BuildValid(yaml);

        var listener = Assert.Single(config.Listeners);
        listener.Validate();
        var chain = Assert.Single(listener.TlsFilterChains!);
        Assert.Equal("https.443.https.gw.default", chain.Name);
        Assert.Null(chain.Termination);
        Assert.Null(chain.Router);
        Assert.Equal(ClusterFor("v1"), Route(chain.TcpRouter!, "a.example.com"));
        Assert.Equal(ClusterFor("v2"), Route(chain.TcpRouter!, "b.example.com"));
        Assert.Null(Route(chain.TcpRouter!, null));
        Assert.Equal([ClusterFor("v1"), ClusterFor("v2")], config.Clusters.Select(c => c.Name));
        Assert.Equal("default/vs.tls[0]", chain.TcpRouter!.Route(new TcpRouteContext("a.example.com", null, null))!.Name);
    }

    // gateway.proto: the TLSmode enum's zero value is PASSTHROUGH, so "tls: {}" passes through.
    [Fact]
    public void Build_TlsServerWithoutMode_Passthrough()
    {
        var yaml = TestConfig.Docs(Gateway(Server("TLS", "[db.example.com]", "{}")), TestConfig.Backend,
            VirtualService("vs", "[db.example.com]", tls: To("v1", "{sniHosts: [db.example.com]}")));

        var chain = TestConfig.BuildValid(yaml).Listeners.Single().TlsFilterChains!.Single();

        Assert.Null(chain.Termination);
        Assert.Equal(ClusterFor("v1"), Route(chain.TcpRouter!, "db.example.com"));
    }

    [Fact]
    public void Build_PassthroughWithCertificates_WarnsTheyAreIgnored()
    {
        var result = TestConfig.Build(Gateway(Server("TLS", "[\"*\"]", "{mode: PASSTHROUGH, serverCertificate: a.pem, privateKey: b.pem}")));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Contains("test.yaml[0] Gateway default/gw: spec.servers[0].tls: PASSTHROUGH mode does not terminate TLS; serverCertificate, privateKey ignored", result.Warnings);
    }

    [Fact]
    public void Build_PassthroughMatchConditions_PortAndGatewaysDecidedPerServer()
    {
        var yaml = TestConfig.Docs(
            Gateway(Servers(Server("TLS", "[\"*\"]", "{mode: PASSTHROUGH}", port: 443), Server("TLS", "[\"*\"]", "{mode: PASSTHROUGH}", port: 8443, portName: "tls-alt"))),
            TestConfig.Backend,
            VirtualService("vs", "[\"*\"]", tls:
                To("v1", "{sniHosts: [a.example.com], port: 8443}") + "\n" +
                To("v2", "{sniHosts: [a.example.com], gateways: [other]}") + "\n" +
                To("v2", "{sniHosts: [a.example.com], gateways: [mesh]}") + "\n" +
                To("v2", "{sniHosts: [a.example.com], port: 443, gateways: [default/gw], sourceLabels: {app: x}}")));

        var config = TestConfig.BuildValid(yaml);

        Assert.Equal(ClusterFor("v2"), Route(config.Listeners[0].TlsFilterChains![0].TcpRouter!, "a.example.com"));
        Assert.Equal(ClusterFor("v1"), Route(config.Listeners[1].TlsFilterChains![0].TcpRouter!, "a.example.com"));
    }

    [Fact]
    public void Build_SniHostsAcrossVirtualServices_FirstWinsAndLaterIsWarned()
    {
        var yaml = TestConfig.Docs(Gateway(Server("TLS", "[\"*\"]", "{mode: PASSTHROUGH}")), TestConfig.Backend,
            VirtualService("b", "[\"*.example.com\"]", tls: To("v2", "{sniHosts: [a.example.com]}")),
            VirtualService("a", "[a.example.com]", tls: To("v1", "{sniHosts: [a.example.com]}")));

        var result = TestConfig.Build(yaml);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(ClusterFor("v1"), Route(result.Config!.Listeners.Single().TlsFilterChains!.Single().TcpRouter!, "a.example.com"));
        Assert.Equal(["test.yaml[3] VirtualService default/b: spec.tls[0].match[0].sniHosts: SNI host \"a.example.com\" on port 443 of Gateway default/gw is already routed by VirtualService default/a spec.tls[0].match[0].sniHosts, which wins"],
            result.Warnings);
    }

    [Fact]
    public void Build_SniHostOutsideServerHosts_NotInThatChain()
    {
        var yaml = TestConfig.Docs(
            Gateway(Servers(Server("TLS", "[a.example.com]", "{mode: PASSTHROUGH}", portName: "a"), Server("TLS", "[b.example.com]", "{mode: PASSTHROUGH}", portName: "b"))),
            TestConfig.Backend,
            VirtualService("vs", "[a.example.com, b.example.com]", tls: To("v1", "{sniHosts: [a.example.com]}") + "\n" + To("v2", "{sniHosts: [b.example.com]}")));

        var chains = TestConfig.BuildValid(yaml).Listeners.Single().TlsFilterChains!;

        Assert.Equal(ClusterFor("v1"), Route(chains[0].TcpRouter!, "a.example.com"));
        Assert.Null(Route(chains[0].TcpRouter!, "b.example.com"));
        Assert.Equal(ClusterFor("v2"), Route(chains[1].TcpRouter!, "b.example.com"));
    }

    [Fact]
    public void Build_PassthroughWithoutTlsRoutes_WarnsConnectionsAreClosed()
    {
        var result = TestConfig.Build(Gateway(Server("TLS", "[\"*\"]", "{mode: PASSTHROUGH}")));

        Assert.Equal(["test.yaml[0] Gateway default/gw: spec.servers[0]: no VirtualService tls route applies to this PASSTHROUGH server on port 443; its connections are closed"], result.Warnings);
        Assert.Null(Route(result.Config!.Listeners.Single().TlsFilterChains!.Single().TcpRouter!, "a.example.com"));
    }

    [Fact]
    public void Build_TlsSimpleServer_TerminatesThenRoutesTcp()
    {
        var yaml = TestConfig.Docs(Gateway(Server("TLS", "[db.example.com]", Simple, port: 5432)), TestConfig.Backend,
            VirtualService("vs", "[db.example.com]", tcp: To("v2")));

        var chain = TestConfig.BuildValid(yaml, baseDirectory: _dir.Root).Listeners.Single().TlsFilterChains!.Single();

        Assert.Equal("tls.5432.tls.gw.default", chain.Name);
        Assert.NotNull(chain.Termination);
        Assert.Null(chain.Router);
        Assert.Equal(ClusterFor("v2"), Route(chain.TcpRouter!, "db.example.com"));
        Assert.Equal(ClusterFor("v2"), Route(chain.TcpRouter!, null));
    }

    [Fact]
    public void Build_TcpServer_PlainTcpListenerWithFirstMatchingRoute()
    {
        var yaml = TestConfig.Docs(Gateway(Server("TCP", "[\"*\"]", port: 9000)), TestConfig.Backend,
            VirtualService("vs", "[\"*\"]", tcp:
                To("v1", "{port: 9001}") + "\n" + To("v2", "{port: 9000, sourceNamespace: elsewhere}") + "\n" + To("v1")));

        var listener = TestConfig.BuildValid(yaml).Listeners.Single();

        Assert.Equal(ListenerProtocol.Tcp, listener.Protocol);
        Assert.Equal("0.0.0.0_9000", listener.Name);
        listener.Validate();
        Assert.Equal(ClusterFor("v2"), Route(listener.TcpRouter!, null));
        Assert.Equal("default/vs.tcp[1]", listener.TcpRouter!.Route(default)!.Name);
    }

    [Theory]
    [InlineData("MONGO")]
    [InlineData("MYSQL")]
    [InlineData("REDIS")]
    public void Build_OpaqueTcpProtocols_ServedAsTcp(string protocol)
    {
        var yaml = TestConfig.Docs(Gateway(Server(protocol, "[\"*\"]", port: 27017)), TestConfig.Backend, VirtualService("vs", "[\"*\"]", tcp: To("v1")));

        Assert.Equal(ListenerProtocol.Tcp, TestConfig.BuildValid(yaml).Listeners.Single().Protocol);
    }

    [Fact]
    public void Build_TcpRouteWithoutMatch_LaterRoutesUnreachable()
    {
        var yaml = TestConfig.Docs(Gateway(Server("TCP", "[\"*\"]", port: 9000)), TestConfig.Backend,
            VirtualService("vs", "[\"*\"]", tcp: To("v1") + "\n" + To("v2", "{port: 9000}")));

        var result = TestConfig.Build(yaml);

        Assert.Equal(["test.yaml[3] VirtualService default/vs: spec.tcp[1]: unreachable: an earlier tcp route matches every connection"], result.Warnings);
        Assert.Equal(ClusterFor("v1"), Route(result.Config!.Listeners.Single().TcpRouter!, null));
    }

    [Fact]
    public void Build_TwoVirtualServicesForOneTcpServer_FirstWinsAndSecondIsWarned()
    {
        var yaml = TestConfig.Docs(Gateway(Server("TCP", "[\"*\"]", port: 9000)), TestConfig.Backend,
            VirtualService("b", "[\"*\"]", tcp: To("v2")), VirtualService("a", "[\"*\"]", tcp: To("v1")));

        var result = TestConfig.Build(yaml);

        Assert.Equal(ClusterFor("v1"), Route(result.Config!.Listeners.Single().TcpRouter!, null));
        Assert.Equal(["test.yaml[3] VirtualService default/b: spec.tcp[0]: unreachable on port 9000 of Gateway default/gw: VirtualService default/a spec.tcp[0] already routes it, and a gateway uses the first matching tcp route"],
            result.Warnings);
    }

    [Fact]
    public void Build_TcpServerWithoutRoute_WarnsConnectionsAreClosed()
    {
        var result = TestConfig.Build(TestConfig.Docs(Gateway(Server("TCP", "[\"*\"]", port: 9000)), TestConfig.Backend,
            VirtualService("vs", "[\"*\"]", tcp: To("v1", "{gateways: [other]}"))));

        Assert.Equal(["test.yaml[0] Gateway default/gw: spec.servers[0]: no VirtualService tcp route applies to this TCP server on port 9000; its connections are closed"], result.Warnings);
        Assert.Null(Route(result.Config!.Listeners.Single().TcpRouter!, null));
    }

    [Fact]
    public void Build_SecondTcpServerOnPort_IgnoredWithWarning()
    {
        var yaml = TestConfig.Docs(
            Gateway(Server("TCP", "[a.example.com]", port: 9000), name: "a"),
            Gateway(Server("TCP", "[b.example.com]", port: 9000), name: "b"),
            TestConfig.Backend,
            VirtualService("vs", "[\"*.example.com\"]", tcp: To("v1"), gateways: "[a, b]"));

        var result = TestConfig.Build(yaml);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Single(result.Config!.Listeners);
        Assert.Equal(["test.yaml[1] Gateway default/b: spec.servers[0].port: ignored: port 9000 is already served by the TCP server Gateway default/a spec.servers[0], and Istio keeps the first TCP server of a port"],
            result.Warnings);
    }

    [Fact]
    public void Build_TcpWeightedDestinations_Kept()
    {
        var yaml = TestConfig.Docs(Gateway(Server("TCP", "[\"*\"]", port: 9000)), TestConfig.Backend,
            VirtualService("vs", "[\"*\"]", tcp: "  - route:\n    - {destination: {host: backend.example.internal, subset: v1}, weight: 90}\n    - {destination: {host: backend.example.internal, subset: v2}, weight: 10}"));

        var route = TestConfig.BuildValid(yaml).Listeners.Single().TcpRouter!.Route(default)!;

        Assert.Equal([(ClusterFor("v1"), 90), (ClusterFor("v2"), 10)], route.Destinations.Select(d => (d.Cluster.Name, d.Weight)));
    }

    public static TheoryData<string, string, string[]> InvalidRoutes => new()
    {
        // Istio validateTLSRoute / validateTLSMatch / validateSniHost / validateTCPRoute.
        { "[a.example.com]", "tls:\n  - route: [{destination: {host: backend.example.internal}}]", ["spec.tls[0].match: at least one match is required: a TLS route matches on sniHosts"] },
        { "[a.example.com]", "tls:\n  - match: [{port: 443}]\n    route: [{destination: {host: backend.example.internal}}]", ["spec.tls[0].match[0].sniHosts: at least one SNI host is required"] },
        { "[a.example.com]", "tls:\n  - match: [{sniHosts: [b.example.com]}]\n    route: [{destination: {host: backend.example.internal}}]", ["spec.tls[0].match[0].sniHosts[0]: SNI host \"b.example.com\" is not a compatible subset of any of the virtual service hosts: [a.example.com]"] },
        { "[\"*.example.com\"]", "tls:\n  - match: [{sniHosts: [\"*\"]}]\n    route: [{destination: {host: backend.example.internal}}]", ["spec.tls[0].match[0].sniHosts[0]: SNI host \"*\" is not a compatible subset of any of the virtual service hosts: [*.example.com]"] },
        { "[a.example.com]", "tls:\n  - match: [{sniHosts: [\"a.*\"]}]\n    route: [{destination: {host: backend.example.internal}}]", ["spec.tls[0].match[0].sniHosts[0]: host \"a.*\" is not a valid DNS name (label \"*\")"] },
        { "[a.example.com]", "tls:\n  - match: [{sniHosts: [a.example.com]}]", ["spec.tls[0].route: at least one destination is required"] },
        { "[\"*\"]", "tcp:\n  - match: [{port: 9000}]", ["spec.tcp[0].route: at least one destination is required"] },
        { "[\"*\"]", "tcp:\n  - match: [{port: 0}]\n    route: [{destination: {host: backend.example.internal}}]", ["spec.tcp[0].match[0].port: 0 is out of range [1, 65535]"] },
        { "[\"*\"]", "tcp:\n  - match: [{sniHosts: [a]}]\n    route: [{destination: {host: backend.example.internal}}]", ["spec.tcp[0].match[0].sniHosts: unknown field"] },
        { "[\"*\"]", "tcp:\n  - route: [{destination: {host: backend.example.internal}, headers: {request: {set: {a: b}}}}]", ["spec.tcp[0].route[0].headers: unknown field"] },
        { "[\"*\"]", "tcp:\n  - route: [{destination: {host: nowhere.example.internal}}]", ["spec.tcp[0].route[0].destination.host: host \"nowhere.example.internal\" is not defined by any ServiceEntry"] },
        { "[a.example.com]", "tls:\n  - match: [{sniHosts: [a.example.com]}]\n    route: [{destination: {host: backend.example.internal, subset: v9}}]", ["spec.tls[0].route[0].destination.subset: subset \"v9\" is not defined by any DestinationRule for backend.example.internal"] },
        { "[\"*\"]", "tcp:\n  - route: [{destination: {host: backend.example.internal}, weight: 0}, {destination: {host: backend.example.internal}, weight: 0}]", ["spec.tcp[0].route: the weights of all destinations are 0; at least one must be positive"] },
    };

    [Theory]
    [MemberData(nameof(InvalidRoutes))]
    public void Build_InvalidL4Route_ErrorWithFieldPath(string hosts, string section, string[] expected)
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            $"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: vs}}\nspec:\n  hosts: {hosts}\n  gateways: [gw]\n  {section.Replace("\n", "\n  ", StringComparison.Ordinal)}");

        Assert.Equal(expected.Select(e => "test.yaml[3] VirtualService default/vs: " + e), TestConfig.Errors(yaml));
    }

    [Fact]
    public void Build_DestinationSubnets_WarnedNotSupported()
    {
        var yaml = TestConfig.Docs(Gateway(Server("TCP", "[\"*\"]", port: 9000)), TestConfig.Backend,
            VirtualService("vs", "[\"*\"]", tcp: To("v1", "{destinationSubnets: [10.0.0.0/8]}")));

        Assert.Equal(["test.yaml[3] VirtualService default/vs: spec.tcp[0].match[0].destinationSubnets: not supported yet; the match applies whatever the destination address"],
            TestConfig.Build(yaml).Warnings);
    }

    [Fact]
    public void Build_SniHostIpAddress_AcceptedWithWarning()
    {
        var yaml = TestConfig.Docs(Gateway(Server("TLS", "[\"*\"]", "{mode: PASSTHROUGH}")), TestConfig.Backend,
            VirtualService("vs", "[\"*\"]", tls: To("v1", "{sniHosts: [10.1.2.3]}")));

        var result = TestConfig.Build(yaml);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Contains("test.yaml[3] VirtualService default/vs: spec.tls[0].match[0].sniHosts[0]: using an IP address (\"10.1.2.3\") goes against the SNI specification and most clients do not send one", result.Warnings);
    }

    [Fact]
    public void Build_ShortVirtualServiceHost_SniHostMayBeShortOrQualified()
    {
        var yaml = TestConfig.Docs(Gateway(Server("TLS", "[\"*\"]", "{mode: PASSTHROUGH}")), TestConfig.Backend,
            VirtualService("vs", "[db]", tls: To("v1", "{sniHosts: [db, db.default.svc.cluster.local]}")));

        var router = (SniTcpRouter)TestConfig.BuildValid(yaml).Listeners.Single().TlsFilterChains!.Single().TcpRouter!;

        Assert.Equal(ClusterFor("v1"), Route(router, "db.default.svc.cluster.local"));
        Assert.Equal(ClusterFor("v1"), Route(router, "db"));
    }
}
