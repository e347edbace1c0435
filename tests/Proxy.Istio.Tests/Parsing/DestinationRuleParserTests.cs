using Proxy.Engine.Config;

namespace Proxy.Istio.Tests.Parsing;

public class DestinationRuleParserTests
{
    /// <summary>Gateway, the backend ServiceEntry (v1 and v2 endpoints), a DestinationRule with <paramref name="drSpec"/>
    /// under <c>spec</c>, and a route splitting over subsets v1 and v2.</summary>
    internal static string Config(string drSpec) => TestConfig.Docs(TestConfig.Gateway, """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: backend}
        spec:
          hosts: [backend.example.internal]
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints:
          - {address: 10.0.0.1, labels: {version: v1}}
          - {address: 10.0.0.2, labels: {version: v2}}
        """, $"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {"{name: backend}"}
        spec:
          host: backend.example.internal
        {drSpec}
        """, TestConfig.VirtualService("  - route:\n    - destination: {host: backend.example.internal, subset: v1}\n      weight: 1\n    - destination: {host: backend.example.internal, subset: v2}\n      weight: 1"));

    private static (ClusterConfig V1, ClusterConfig V2) Clusters(string drSpec)
    {
        var config = TestConfig.BuildValid(Config(drSpec));
        return (config.Clusters.Single(c => c.Name.Contains("|v1|", StringComparison.Ordinal)), config.Clusters.Single(c => c.Name.Contains("|v2|", StringComparison.Ordinal)));
    }

    internal const string Subsets = "  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}}\n";

    // destination_rule.proto LoadBalancerSettings.SimpleLB; Istio's default is LEAST_REQUEST and LEAST_CONN is its
    // deprecated alias.
    [Theory]
    [InlineData(null, LoadBalancingPolicy.LeastRequest)]
    [InlineData("UNSPECIFIED", LoadBalancingPolicy.LeastRequest)]
    [InlineData("LEAST_CONN", LoadBalancingPolicy.LeastRequest)]
    [InlineData("LEAST_REQUEST", LoadBalancingPolicy.LeastRequest)]
    [InlineData("ROUND_ROBIN", LoadBalancingPolicy.RoundRobin)]
    [InlineData("RANDOM", LoadBalancingPolicy.Random)]
    public void Build_SimpleLoadBalancer_MapsToPolicy(string? simple, LoadBalancingPolicy expected)
    {
        var policy = simple is null ? string.Empty : $"  trafficPolicy: {{loadBalancer: {{simple: {simple}}}}}\n";

        var (v1, v2) = Clusters(policy + Subsets);

        Assert.Equal(expected, v1.LoadBalancing);
        Assert.Equal(expected, v2.LoadBalancing);
    }

    [Fact]
    public void Build_Passthrough_WarnedAndDefault()
    {
        var result = TestConfig.Build(Config("  trafficPolicy: {loadBalancer: {simple: PASSTHROUGH}}\n" + Subsets));

        Assert.True(result.IsValid);
        Assert.Contains("test.yaml[2] DestinationRule default/backend: spec.trafficPolicy.loadBalancer.simple: PASSTHROUGH is not supported yet; using LEAST_REQUEST", result.Warnings);
    }

    [Fact]
    public void Build_Defaults_IstioConnectAndIdleTimeouts()
    {
        var (v1, _) = Clusters(Subsets);

        // DESIGN.md: Istio defaults, 10 s connect timeout, 1 h idle timeout.
        Assert.Equal(TimeSpan.FromSeconds(10), v1.ConnectTimeout);
        Assert.Equal(TimeSpan.FromHours(1), v1.IdleTimeout);
    }

    [Fact]
    public void Build_ConnectionPool_TimeoutsApplied()
    {
        var (v1, _) = Clusters("  trafficPolicy:\n    connectionPool:\n      tcp: {connectTimeout: 250ms, idleTimeout: 30m}\n" + Subsets);

        Assert.Equal(TimeSpan.FromMilliseconds(250), v1.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMinutes(30), v1.IdleTimeout);
    }

    [Fact]
    public void Build_HttpIdleTimeout_WinsOverTcpIdleTimeout()
    {
        var (v1, _) = Clusters("  trafficPolicy:\n    connectionPool:\n      tcp: {idleTimeout: 30m}\n      http: {idleTimeout: 1.5s}\n" + Subsets);

        Assert.Equal(TimeSpan.FromSeconds(1.5), v1.IdleTimeout);
    }

    [Fact]
    public void Build_SubsetTrafficPolicy_OverridesRuleLevel()
    {
        // destination_rule.proto Subset.trafficPolicy: "Traffic policies that apply to this subset. Subsets inherit
        // the traffic policies specified at the DestinationRule level. Settings specified at the subset level will
        // override the corresponding settings specified at the DestinationRule level."
        var (v1, v2) = Clusters("""
              trafficPolicy:
                loadBalancer: {simple: RANDOM}
                connectionPool: {tcp: {connectTimeout: 1s}}
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy:
                  loadBalancer: {simple: ROUND_ROBIN}
              - name: v2
                labels: {version: v2}
                trafficPolicy:
                  connectionPool: {tcp: {connectTimeout: 2s}}
            """);

        Assert.Equal((LoadBalancingPolicy.RoundRobin, TimeSpan.FromSeconds(1)), (v1.LoadBalancing, v1.ConnectTimeout));
        Assert.Equal((LoadBalancingPolicy.Random, TimeSpan.FromSeconds(2)), (v2.LoadBalancing, v2.ConnectTimeout));
    }

    [Fact]
    public void Build_Subsets_SelectEndpointsByLabels()
    {
        var (v1, v2) = Clusters(Subsets);

        Assert.Equal("10.0.0.1", Assert.Single(v1.Endpoints).Address);
        Assert.Equal("10.0.0.2", Assert.Single(v2.Endpoints).Address);
    }

    [Theory]
    [InlineData("  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v1, labels: {version: v2}}\n", "spec.subsets[1].name: duplicate subset name \"v1\"")]
    [InlineData("  subsets:\n  - {labels: {version: v1}}\n", "spec.subsets[0].name: is required")]
    [InlineData("  trafficPolicy: {loadBalancer: {simple: FASTEST}}\n", "spec.trafficPolicy.loadBalancer.simple: invalid value \"FASTEST\"; expected one of UNSPECIFIED, LEAST_CONN, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST")]
    [InlineData("  trafficPolicy: {connectionPool: {tcp: {connectTimeout: 10}}}\n", "spec.trafficPolicy.connectionPool.tcp.connectTimeout: invalid duration \"10\"; expected e.g. 10s, 1.5s, 250ms, 1m or 1h")]
    [InlineData("  trafficPolicy: {connectionPool: {tcp: {connectTimeout: 0s}}}\n", "spec.trafficPolicy.connectionPool.tcp.connectTimeout: duration \"0s\" must be at least 1ms, in whole milliseconds")]
    // validateConnectionPool: http.idleTimeout passes ValidateDuration; only tcp.idleTimeout may be 0s.
    [InlineData("  trafficPolicy: {connectionPool: {http: {idleTimeout: 0s}}}\n", "spec.trafficPolicy.connectionPool.http.idleTimeout: duration \"0s\" must be at least 1ms, in whole milliseconds")]
    [InlineData("  trafficPolicy: {connectionPool: {tcp: {connectTimeout: 1500us}}}\n", "spec.trafficPolicy.connectionPool.tcp.connectTimeout: duration \"1500us\" must be at least 1ms, in whole milliseconds")]
    [InlineData("  trafficPolicy: {connectionPool: {http: {idleTimeout: 5 minutes}}}\n", "spec.trafficPolicy.connectionPool.http.idleTimeout: invalid duration \"5 minutes\"; expected e.g. 10s, 1.5s, 250ms, 1m or 1h")]
    public void Build_InvalidRule_Error(string drSpec, string expected)
    {
        // Subset references fail too when subsets are missing; only the rule's own error is asserted here.
        Assert.Contains("test.yaml[2] DestinationRule default/backend: " + expected, TestConfig.Errors(Config(drSpec)));
    }

    [Fact]
    public void Build_MissingHost_Error()
    {
        var yaml = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: dr}\nspec:\n  subsets: [{name: v1}]\n";

        Assert.Equal(["test.yaml[0] DestinationRule default/dr: spec.host: is required"], TestConfig.Errors(yaml));
    }

    [Fact]
    public void Build_ShortHost_QualifiedAndMatchesServiceEntryShortHost()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              resolution: STATIC
              ports: [{number: 9080, name: http, protocol: HTTP}]
              endpoints: [{address: 10.0.0.9, labels: {version: v9}}]
            """, """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              host: reviews.default.svc.cluster.local
              subsets: [{name: v9, labels: {version: v9}}]
            """, TestConfig.VirtualService("  - route: [{destination: {host: reviews, subset: v9}}]"));

        var config = TestConfig.BuildValid(yaml);

        Assert.Equal("outbound|9080|v9|reviews.default.svc.cluster.local", Assert.Single(config.Clusters).Name);
    }
}
