using Proxy.Engine.Config;
using Proxy.Istio.Tests.Parsing;

namespace Proxy.Istio.Tests.Resilience;

/// <summary>
/// DestinationRule <c>connectionPool</c> (destination_rule.proto ConnectionPoolSettings) compiled as Istio's
/// applyConnectionPool (pilot/pkg/networking/core/cluster_traffic_policy.go) builds Envoy's circuit breakers and
/// protocol options, validated as validateConnectionPool (pkg/config/validation/validation.go).
/// </summary>
public sealed class ConnectionPoolTests
{
    private const string Prefix = "test.yaml[2] DestinationRule default/backend: ";

    /// <summary>The v1 and v2 clusters of a rule with <paramref name="drSpec"/> (subsets v1 and v2 must be in it).</summary>
    private static (ClusterConfig V1, ClusterConfig V2) Clusters(string drSpec)
    {
        var config = TestConfig.BuildValid(DestinationRuleParserTests.Config(drSpec));
        return (config.Clusters.Single(c => c.Name.Contains("|v1|", StringComparison.Ordinal)), config.Clusters.Single(c => c.Name.Contains("|v2|", StringComparison.Ordinal)));
    }

    private static ClusterConfig Cluster(string connectionPool) =>
        Clusters($"  trafficPolicy:\n    connectionPool: {connectionPool}\n" + DestinationRuleParserTests.Subsets).V1;

    // getDefaultCircuitBreakerThresholds: Istio's defaults are 2^32-1 for every threshold; no DestinationRule policy,
    // no maxRequestsPerConnection, no maxConnectionDuration, no keep-alive, no outlier detection.
    [Fact]
    public void Build_NoConnectionPool_IstioDefaults()
    {
        var (v1, _) = Clusters(DestinationRuleParserTests.Subsets);

        Assert.Same(CircuitBreakerThresholds.Unlimited, v1.CircuitBreakers);
        Assert.Equal(0, v1.MaxRequestsPerConnection);
        Assert.Null(v1.MaxConnectionDuration);
        Assert.Null(v1.TcpKeepAlive);
        Assert.Null(v1.OutlierDetection);
    }

    // applyConnectionPool: tcp.maxConnections -> max_connections, http.http1MaxPendingRequests -> max_pending_requests,
    // http.http2MaxRequests -> max_requests, http.maxRetries -> max_retries.
    [Fact]
    public void Build_Limits_CircuitBreakers()
    {
        var cluster = Cluster("{tcp: {maxConnections: 100}, http: {http1MaxPendingRequests: 10, http2MaxRequests: 1000, maxRetries: 3}}");

        Assert.Equal(new CircuitBreakerThresholds { MaxConnections = 100, MaxPendingRequests = 10, MaxRequests = 1000, MaxRetries = 3 }, cluster.CircuitBreakers);
    }

    // applyConnectionPool takes a limit only "if ... > 0" ("FIXME: zero is a valid value if explicitly set, otherwise we
    // want to use the default"), so 0 stays Istio's unlimited default.
    [Fact]
    public void Build_ZeroLimits_Unlimited()
    {
        var cluster = Cluster("{tcp: {maxConnections: 0}, http: {http1MaxPendingRequests: 0, http2MaxRequests: 0, maxRetries: 0, maxRequestsPerConnection: 0}}");

        Assert.Equal(CircuitBreakerThresholds.Unlimited, cluster.CircuitBreakers);
        Assert.Equal(0, cluster.MaxRequestsPerConnection);
    }

    // HTTPSettings.max_requests_per_connection: "Setting this parameter to 1 disables keep alive. Default 0, meaning
    // 'unlimited'"; TCPSettings.max_connection_duration: "The maximum duration of a connection."
    [Theory]
    [InlineData("{http: {maxRequestsPerConnection: 1}}", 1, null)]
    [InlineData("{http: {maxRequestsPerConnection: 10}, tcp: {maxConnectionDuration: 5m}}", 10, 300_000)]
    [InlineData("{tcp: {maxConnectionDuration: 1.5s}}", 0, 1_500)]
    public void Build_ConnectionLifetime(string pool, int maxRequests, int? maxDurationMs)
    {
        var cluster = Cluster(pool);

        Assert.Equal(maxRequests, cluster.MaxRequestsPerConnection);
        Assert.Equal(maxDurationMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null, cluster.MaxConnectionDuration);
    }

    // setKeepAliveSettings: a tcpKeepalive, even empty, turns SO_KEEPALIVE on with the OS values; probes above 0 and
    // time/interval (in whole seconds, the Duration's Seconds) override them.
    [Theory]
    [InlineData("{}", null, null, null)]
    [InlineData("{probes: 3, time: 7200s, interval: 75s}", 3, 7200, 75)]
    [InlineData("{probes: 0, time: 90.5s}", null, 90, null)]
    [InlineData("{interval: 1m}", null, null, 60)]
    public void Build_TcpKeepalive(string keepalive, int? probes, int? timeSeconds, int? intervalSeconds)
    {
        var cluster = Cluster($"{{tcp: {{tcpKeepalive: {keepalive}}}}}");

        Assert.Equal(new TcpKeepAliveSettings(probes, Seconds(timeSeconds), Seconds(intervalSeconds)), cluster.TcpKeepAlive);

        static TimeSpan? Seconds(int? s) => s is { } v ? TimeSpan.FromSeconds(v) : null;
    }

    [Fact]
    public void Build_TcpKeepaliveBelowOneSecond_OperatingSystemValueWithWarning()
    {
        var yaml = DestinationRuleParserTests.Config("  trafficPolicy:\n    connectionPool: {tcp: {tcpKeepalive: {time: 500ms}}}\n" + DestinationRuleParserTests.Subsets);

        var result = TestConfig.Build(yaml);

        Assert.Equal(new TcpKeepAliveSettings(), result.Config!.Clusters[0].TcpKeepAlive);
        Assert.Contains(Prefix + "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.time: is taken in whole seconds and is less than one, so the operating system's value applies", result.Warnings);
    }

    // HTTP/2-only settings (applyConnectionPool sets them on http2_protocol_options; shouldH2Upgrade): accepted, warned
    // when they ask for HTTP/2 behaviour, silent when they keep HTTP/1.1.
    [Theory]
    [InlineData("h2UpgradePolicy: UPGRADE", "h2UpgradePolicy: UPGRADE has no effect: upstream connections are HTTP/1.1")]
    [InlineData("useClientProtocol: true", "useClientProtocol: has no effect: upstream connections are HTTP/1.1")]
    [InlineData("maxConcurrentStreams: 100", "maxConcurrentStreams: has no effect: upstream connections are HTTP/1.1")]
    [InlineData("http2KeepAlive: {interval: 10s, timeout: 5s}", "http2KeepAlive: has no effect: upstream connections are HTTP/1.1")]
    [InlineData("h2UpgradePolicy: DO_NOT_UPGRADE", null)]
    [InlineData("h2UpgradePolicy: DEFAULT", null)]
    [InlineData("useClientProtocol: false", null)]
    [InlineData("maxConcurrentStreams: 0", null)]
    public void Build_Http2Settings_WarnedWhenTheyAskForHttp2(string field, string? warning)
    {
        var yaml = DestinationRuleParserTests.Config($"  trafficPolicy:\n    connectionPool: {{http: {{{field}}}}}\n" + DestinationRuleParserTests.Subsets);

        var result = TestConfig.Build(yaml);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var warnings = result.Warnings.Where(static w => w.StartsWith(Prefix, StringComparison.Ordinal)).ToList();
        if (warning is null)
        {
            Assert.Empty(warnings);
        }
        else
        {
            Assert.Equal([Prefix + "spec.trafficPolicy.connectionPool.http." + warning], warnings);
        }
    }

    // destination_rule.proto Subset.traffic_policy overrides the rule's; MergeTrafficPolicy replaces connectionPool as
    // a whole ("if subsetPolicy.ConnectionPool != nil"), so the subset's pool does not inherit the rule's limits.
    [Fact]
    public void Build_SubsetConnectionPool_ReplacesRuleLevelWhole()
    {
        var (v1, v2) = Clusters("""
              trafficPolicy:
                connectionPool: {tcp: {maxConnections: 50}, http: {maxRequestsPerConnection: 5}}
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy:
                  connectionPool: {http: {http2MaxRequests: 7}}
              - name: v2
                labels: {version: v2}
            """);

        Assert.Equal(new CircuitBreakerThresholds { MaxRequests = 7 }, v1.CircuitBreakers);
        Assert.Equal(0, v1.MaxRequestsPerConnection);
        Assert.Equal(new CircuitBreakerThresholds { MaxConnections = 50 }, v2.CircuitBreakers);
        Assert.Equal(5, v2.MaxRequestsPerConnection);
    }

    // TrafficPolicy.port_level_settings: "default values will be applied to fields omitted in port-level traffic
    // policies" (GetPortLevelTrafficPolicy); a subset's port-level entry replaces the subset policy too.
    [Fact]
    public void Build_PortLevelConnectionPool_ReplacesWithoutInheritance()
    {
        var (v1, v2) = Clusters("""
              trafficPolicy:
                connectionPool: {tcp: {maxConnections: 50, tcpKeepalive: {probes: 2}}}
                portLevelSettings:
                - port: {number: 80}
                  connectionPool: {http: {maxRetries: 4}}
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy:
                  portLevelSettings:
                  - port: {number: 80}
                    connectionPool: {tcp: {maxConnectionDuration: 1h}}
              - name: v2
                labels: {version: v2}
            """);

        Assert.Equal(CircuitBreakerThresholds.Unlimited, v1.CircuitBreakers);
        Assert.Equal(TimeSpan.FromHours(1), v1.MaxConnectionDuration);
        Assert.Equal(new CircuitBreakerThresholds { MaxRetries = 4 }, v2.CircuitBreakers);
        Assert.Null(v2.TcpKeepAlive);
        Assert.Null(v2.MaxConnectionDuration);
    }

    // validateConnectionPool.
    [Theory]
    [InlineData("{}", "spec.trafficPolicy.connectionPool: connection pool must have at least one field")]
    [InlineData("{tcp: {maxConnections: -1}}", "spec.trafficPolicy.connectionPool.tcp.maxConnections: max connections must be non-negative (got -1)")]
    [InlineData("{http: {http1MaxPendingRequests: -1}}", "spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: http1 max pending requests must be non-negative (got -1)")]
    [InlineData("{http: {http2MaxRequests: -5}}", "spec.trafficPolicy.connectionPool.http.http2MaxRequests: http2 max requests must be non-negative (got -5)")]
    [InlineData("{http: {maxRequestsPerConnection: -1}}", "spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection: max requests per connection must be non-negative (got -1)")]
    [InlineData("{http: {maxRetries: -2}}", "spec.trafficPolicy.connectionPool.http.maxRetries: max retries must be non-negative (got -2)")]
    [InlineData("{http: {maxConcurrentStreams: -1}}", "spec.trafficPolicy.connectionPool.http.maxConcurrentStreams: max concurrent streams must be non-negative (got -1)")]
    [InlineData("{http: {h2UpgradePolicy: UPGRADE, useClientProtocol: true}}", "spec.trafficPolicy.connectionPool.http.useClientProtocol: use client protocol must not be true when H2UpgradePolicy is UPGRADE")]
    [InlineData("{http: {h2UpgradePolicy: ALWAYS}}", "spec.trafficPolicy.connectionPool.http.h2UpgradePolicy: invalid value \"ALWAYS\"; expected one of DEFAULT, DO_NOT_UPGRADE, UPGRADE")]
    [InlineData("{http: {http2KeepAlive: {interval: 10s}}}", "spec.trafficPolicy.connectionPool.http.http2KeepAlive.timeout: http2 keepalive timeout is required")]
    [InlineData("{tcp: {maxConnectionDuration: 0s}}", "spec.trafficPolicy.connectionPool.tcp.maxConnectionDuration: duration \"0s\" must be at least 1ms, in whole milliseconds")]
    [InlineData("{tcp: {tcpKeepalive: {time: 0s}}}", "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.time: duration \"0s\" must be at least 1ms, in whole milliseconds")]
    [InlineData("{tcp: {tcpKeepalive: {interval: 1us}}}", "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.interval: duration \"1us\" must be at least 1ms, in whole milliseconds")]
    [InlineData("{tcp: {tcpKeepalive: {probes: -1}}}", "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.probes: -1 is out of range [0, 2147483647]")]
    [InlineData("{tcp: {maxConnections: many}}", "spec.trafficPolicy.connectionPool.tcp.maxConnections: expected an integer, got \"many\"")]
    public void Build_InvalidConnectionPool_Error(string pool, string expected)
    {
        var errors = TestConfig.Errors(DestinationRuleParserTests.Config($"  trafficPolicy:\n    connectionPool: {pool}\n" + DestinationRuleParserTests.Subsets));

        Assert.Equal([Prefix + expected], errors);
    }

    // Errors in subset and port-level pools name their own path.
    [Fact]
    public void Build_InvalidSubsetAndPortLevelPools_ErrorsNameTheirPath()
    {
        var errors = TestConfig.Errors(DestinationRuleParserTests.Config("""
              trafficPolicy:
                portLevelSettings:
                - port: {number: 80}
                  connectionPool: {http: {maxRetries: -1}}
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy: {connectionPool: {tcp: {maxConnections: -3}}}
              - name: v2
                labels: {version: v2}
            """));

        Assert.Equal(
            [
                Prefix + "spec.trafficPolicy.portLevelSettings[0].connectionPool.http.maxRetries: max retries must be non-negative (got -1)",
                Prefix + "spec.subsets[0].trafficPolicy.connectionPool.tcp.maxConnections: max connections must be non-negative (got -3)",
            ],
            errors);
    }
}
