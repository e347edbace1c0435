using Proxy.Engine.Config;
using Proxy.Istio.Tests.Parsing;

namespace Proxy.Istio.Tests.Compilation;

/// <summary>DestinationRule <c>trafficPolicy.loadBalancer</c> compiled into the engine's cluster settings.</summary>
public sealed class LoadBalancerCompileTests
{
    private const string Prefix = "test.yaml[2] DestinationRule default/backend: ";

    private static string Yaml(string drSpec) => DestinationRuleParserTests.Config(drSpec);

    /// <summary>The v1 cluster of a rule whose subsets are v1 and v2.</summary>
    private static ClusterConfig Cluster(string drSpec)
        => TestConfig.BuildValid(Yaml(drSpec)).Clusters.Single(c => c.Name.Contains("|v1|", StringComparison.Ordinal));

    /// <summary>A rule-level <c>loadBalancer</c> of <paramref name="yaml"/>, with subsets v1 and v2.</summary>
    private static string LoadBalancer(string yaml)
        => "  trafficPolicy:\n    loadBalancer:\n" + string.Join("\n", yaml.Split('\n').Select(l => "      " + l)) + "\n" + DestinationRuleParserTests.Subsets;

    [Fact]
    public void ConsistentHash_HeaderWithoutAlgorithm_RingHashOf1024()
    {
        // cluster_traffic_policy.go ApplyRingHashLoadBalancer: no ringHash/maglev -> RING_HASH, minimum ring 1024
        // ("1024 is the default value for envoy"); route.go: httpHeaderName -> a header hash policy.
        var cluster = Cluster(LoadBalancer("consistentHash: {httpHeaderName: x-user}"));

        Assert.Equal(LoadBalancingPolicy.RingHash, cluster.LoadBalancing);
        Assert.Equal(HashPolicy.Header("x-user"), cluster.HashPolicy);
        Assert.Equal(1024, cluster.MinimumRingSize);
    }

    [Fact]
    public void ConsistentHash_Maglev_TableSizeAndKey()
    {
        var cluster = Cluster(LoadBalancer("consistentHash:\n  httpQueryParameterName: user\n  maglev: {tableSize: 131071}"));

        Assert.Equal(LoadBalancingPolicy.Maglev, cluster.LoadBalancing);
        Assert.Equal(131071, cluster.MaglevTableSize);
        Assert.Equal(HashPolicy.QueryParameter("user"), cluster.HashPolicy);
    }

    [Fact]
    public void ConsistentHash_MaglevWithoutTableSize_Default65537()
    {
        // MagLev.table_size: "If it is not specified, the default is 65537."
        var cluster = Cluster(LoadBalancer("consistentHash: {useSourceIp: true, maglev: {}}"));

        Assert.Equal((LoadBalancingPolicy.Maglev, 65537), (cluster.LoadBalancing, cluster.MaglevTableSize));
        Assert.Equal(HashPolicy.SourceIp(), cluster.HashPolicy);
    }

    [Theory]
    [InlineData("consistentHash: {httpHeaderName: x, ringHash: {minimumRingSize: 4096}}", 4096)]
    [InlineData("consistentHash: {httpHeaderName: x, ringHash: {minimumRingSize: 0}}", 1024)]
    [InlineData("consistentHash: {httpHeaderName: x, minimumRingSize: 2048}", 2048)]
    public void ConsistentHash_RingSize(string lb, int expected)
    {
        // RingHash.minimum_ring_size; 0 is "not set" in proto3 and leaves Envoy's 1024; the deprecated top-level
        // minimumRingSize still means a ring hash of that size.
        var cluster = Cluster(LoadBalancer(lb));

        Assert.Equal((LoadBalancingPolicy.RingHash, expected), (cluster.LoadBalancing, cluster.MinimumRingSize));
    }

    [Fact]
    public void ConsistentHash_DeprecatedMinimumRingSize_Warned()
    {
        var result = TestConfig.Build(Yaml(LoadBalancer("consistentHash: {httpHeaderName: x, minimumRingSize: 2048}")));

        Assert.Contains(Prefix + "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize: deprecated; use ringHash.minimumRingSize", result.Warnings);
    }

    [Fact]
    public void ConsistentHash_Cookie_AllFields()
    {
        // HTTPCookie{name, path, ttl, attributes} -> Envoy's cookie hash policy (route.go ConsistentHashToHashPolicy).
        var cluster = Cluster(LoadBalancer("""
            consistentHash:
              httpCookie:
                name: session
                path: /app
                ttl: 1h30m
                attributes: [{name: SameSite, value: Lax}, {name: Secure}]
            """));

        var hash = cluster.HashPolicy!;
        Assert.Equal((HashKeySource.Cookie, "session", "/app", TimeSpan.FromMinutes(90)), (hash.Source, hash.Name, hash.CookiePath, hash.CookieTtl));
        Assert.Equal([new("SameSite", "Lax"), new("Secure", "")], hash.CookieAttributes);
    }

    [Fact]
    public void ConsistentHash_CookieWithoutTtl_NoTtl_TtlZero_Zero()
    {
        // "If the TTL is present and zero, the generated cookie will be a session cookie"; absent, none is generated.
        Assert.Null(Cluster(LoadBalancer("consistentHash: {httpCookie: {name: s}}")).HashPolicy!.CookieTtl);
        Assert.Equal(TimeSpan.Zero, Cluster(LoadBalancer("consistentHash: {httpCookie: {name: s, ttl: 0s}}")).HashPolicy!.CookieTtl);
    }

    [Fact]
    public void ConsistentHash_UseSourceIpFalse_NoKeyWarned()
    {
        // route.go: ConnectionProperties{SourceIp: false} hashes nothing; Envoy then picks at random.
        var result = TestConfig.Build(Yaml(LoadBalancer("consistentHash: {useSourceIp: false}")));

        Assert.True(result.IsValid);
        Assert.All(result.Config!.Clusters, c => Assert.Null(c.HashPolicy));
        Assert.Contains(Prefix + "spec.trafficPolicy.loadBalancer.consistentHash: no hash key; every request gets a random endpoint", result.Warnings);
    }

    [Fact]
    public void Warmup_AllFields_SlowStart()
    {
        // WarmupConfiguration -> Envoy SlowStartConfig{slow_start_window, aggression, min_weight_percent}.
        var cluster = Cluster(LoadBalancer("simple: ROUND_ROBIN\nwarmup: {duration: 60s, minimumPercent: 25, aggression: 1.5}"));

        Assert.Equal(LoadBalancingPolicy.RoundRobin, cluster.LoadBalancing);
        Assert.Equal(new SlowStartConfig(TimeSpan.FromMinutes(1), 25, 1.5), cluster.SlowStart);
    }

    [Fact]
    public void Warmup_Defaults_TenPercentLinear_AndDefaultPolicyLeastRequest()
    {
        // setWarmup: "If not specified, aggression defaults to 1.0"; "minWeightPersent default to 10"; without simple
        // istiod applies the default LEAST_REQUEST with the slow start config.
        var cluster = Cluster(LoadBalancer("warmup: {duration: 30s}"));

        Assert.Equal(LoadBalancingPolicy.LeastRequest, cluster.LoadBalancing);
        Assert.Equal(new SlowStartConfig(TimeSpan.FromSeconds(30), 10, 1.0), cluster.SlowStart);
    }

    [Fact]
    public void WarmupDurationSecs_Deprecated_SlowStartWindow()
    {
        var cluster = Cluster(LoadBalancer("simple: LEAST_REQUEST\nwarmupDurationSecs: 45s"));

        Assert.Equal(new SlowStartConfig(TimeSpan.FromSeconds(45)), cluster.SlowStart);
    }

    [Theory]
    [InlineData("simple: RANDOM\nwarmup: {duration: 30s}", "warmup")]
    [InlineData("consistentHash: {httpHeaderName: x}\nwarmupDurationSecs: 30s", "warmupDurationSecs")]
    public void Warmup_OtherPolicies_IgnoredWithWarning(string lb, string field)
    {
        // applyLoadBalancer sets slow start only for ROUND_ROBIN and LEAST_REQUEST.
        var result = TestConfig.Build(Yaml(LoadBalancer(lb)));

        Assert.All(result.Config!.Clusters, c => Assert.Null(c.SlowStart));
        Assert.Contains(Prefix + $"spec.trafficPolicy.loadBalancer.{field}: applies only to ROUND_ROBIN and LEAST_REQUEST; ignored", result.Warnings);
    }

    [Fact]
    public void LocalityLbSetting_UnsupportedWarning()
    {
        var result = TestConfig.Build(Yaml(LoadBalancer("localityLbSetting: {enabled: true}")));

        Assert.True(result.IsValid);
        Assert.Contains(Prefix + "spec.trafficPolicy.loadBalancer.localityLbSetting: not supported yet; ignored", result.Warnings);
    }

    [Fact]
    public void SubsetAndPortLevel_LoadBalancerReplacesTheRules()
    {
        // Istio MergeTrafficPolicy: a subset's loadBalancer replaces the rule's whole; a portLevelSettings entry
        // replaces the enclosing policy for its port.
        var config = TestConfig.BuildValid(Yaml("""
              trafficPolicy:
                loadBalancer:
                  consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 251}}
                  warmupDurationSecs: 10s
              subsets:
              - name: v1
                labels: {version: v1}
              - name: v2
                labels: {version: v2}
                trafficPolicy:
                  portLevelSettings:
                  - port: {number: 80}
                    loadBalancer:
                      simple: ROUND_ROBIN
                      warmup: {duration: 5s}
            """));

        var v1 = config.Clusters.Single(c => c.Name.Contains("|v1|", StringComparison.Ordinal));
        var v2 = config.Clusters.Single(c => c.Name.Contains("|v2|", StringComparison.Ordinal));
        Assert.Equal((LoadBalancingPolicy.Maglev, 251, HashPolicy.Header("x-user")), (v1.LoadBalancing, v1.MaglevTableSize, v1.HashPolicy));
        Assert.Null(v1.SlowStart);
        Assert.Equal((LoadBalancingPolicy.RoundRobin, (HashPolicy?)null), (v2.LoadBalancing, v2.HashPolicy));
        Assert.Equal(TimeSpan.FromSeconds(5), v2.SlowStart!.Window);
    }

    [Theory]
    [InlineData("simple: ROUND_ROBIN\nconsistentHash: {httpHeaderName: x}", "spec.trafficPolicy.loadBalancer: only one of simple or consistentHash may be set")]
    [InlineData("consistentHash: {httpHeaderName: x, useSourceIp: true}", "spec.trafficPolicy.loadBalancer.consistentHash: only one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName may be set")]
    [InlineData("consistentHash: {httpHeaderName: ''}", "spec.trafficPolicy.loadBalancer.consistentHash.httpHeaderName: must not be empty")]
    [InlineData("consistentHash: {maglev: {tableSize: 65536}}", "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: 65536 is not a prime number; maglev's tableSize must be prime (e.g. 65537)")]
    [InlineData("consistentHash: {maglev: {tableSize: 0}}", "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: 0 is not a prime number; maglev's tableSize must be prime (e.g. 65537)")]
    [InlineData("consistentHash: {maglev: {tableSize: 5000011}}", "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: tableSize must be less than 5000011 for maglev")]
    [InlineData("consistentHash: {maglev: {tableSize: 1.5}}", "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: expected an integer, got \"1.5\"")]
    [InlineData("consistentHash: {ringHash: {minimumRingSize: 1}, maglev: {tableSize: 7}}", "spec.trafficPolicy.loadBalancer.consistentHash: only one of ringHash or maglev may be set")]
    [InlineData("consistentHash: {minimumRingSize: 10, ringHash: {minimumRingSize: 1}}", "spec.trafficPolicy.loadBalancer.consistentHash: only one of minimumRingSize or ringHash/maglev can be specified")]
    [InlineData("consistentHash: {ringHash: {minimumRingSize: -1}}", "spec.trafficPolicy.loadBalancer.consistentHash.ringHash.minimumRingSize: -1 is out of range [0, 8388608]")]
    [InlineData("consistentHash: {ringHash: {minimumRingSize: 9000000}}", "spec.trafficPolicy.loadBalancer.consistentHash.ringHash.minimumRingSize: 9000000 is out of range [0, 8388608]")]
    [InlineData("consistentHash: {httpCookie: {ttl: 1h}}", "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name: is required (name required for HttpCookie)")]
    [InlineData("consistentHash: {httpCookie: {name: 'a b'}}", "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name: \"a b\" is not a valid cookie name (RFC 6265 token)")]
    [InlineData("consistentHash: {httpCookie: {name: s, ttl: soon}}", "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.ttl: invalid duration \"soon\"; expected e.g. 0s, 30m or 24h")]
    [InlineData("consistentHash: {httpCookie: {name: s, attributes: [{name: a}, {name: a}]}}", "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes[1].name: duplicate cookie attribute name: a")]
    [InlineData("consistentHash: {httpCookie: {name: s, attributes: [{value: x}]}}", "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes[0].name: cookie attribute name cannot be empty")]
    [InlineData("consistentHash: {httpCookie: {name: s, path: '/a;b'}}", "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.path: must not contain ';' or control characters")]
    [InlineData("consistentHash: {sourceIp: true}", "spec.trafficPolicy.loadBalancer.consistentHash.sourceIp: unknown field")]
    [InlineData("warmup: {minimumPercent: 20}", "spec.trafficPolicy.loadBalancer.warmup.duration: is required")]
    [InlineData("warmup: {duration: 0s}", "spec.trafficPolicy.loadBalancer.warmup.duration: duration must be greater than 1ms")]
    [InlineData("warmup: {duration: 1.5ms}", "spec.trafficPolicy.loadBalancer.warmup.duration: only durations to ms precision are supported")]
    [InlineData("warmup: {duration: 10s, minimumPercent: 150}", "spec.trafficPolicy.loadBalancer.warmup.minimumPercent: must be between 0 and 100")]
    [InlineData("warmup: {duration: 10s, aggression: 0}", "spec.trafficPolicy.loadBalancer.warmup.aggression: aggression should be greater than 0")]
    [InlineData("warmup: {duration: 10s, aggression: fast}", "spec.trafficPolicy.loadBalancer.warmup.aggression: expected a number")]
    [InlineData("warmup: {duration: 10s}\nwarmupDurationSecs: 10s", "spec.trafficPolicy.loadBalancer: only one of warmupDurationSecs or warmup can be set")]
    [InlineData("warmupDurationSecs: 10", "spec.trafficPolicy.loadBalancer.warmupDurationSecs: invalid duration \"10\"; expected e.g. 30s, 2m or 1m30s")]
    public void InvalidLoadBalancer_ErrorWithPath(string lb, string expected)
    {
        // Istio validateLoadBalancer and the CRD's oneOf rules (pkg/config/validation/validation.go).
        Assert.Contains(Prefix + expected, TestConfig.Errors(Yaml(LoadBalancer(lb))));
    }

    [Fact]
    public void InvalidLoadBalancer_InSubsetAndPortLevel_PathsNameThem()
    {
        var errors = TestConfig.Errors(Yaml("""
              trafficPolicy:
                portLevelSettings:
                - port: {number: 80}
                  loadBalancer: {consistentHash: {maglev: {tableSize: 100}}}
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy:
                  loadBalancer: {warmup: {duration: -1s}}
              - name: v2
                labels: {version: v2}
            """));

        Assert.Contains(Prefix + "spec.trafficPolicy.portLevelSettings[0].loadBalancer.consistentHash.maglev.tableSize: 100 is not a prime number; maglev's tableSize must be prime (e.g. 65537)", errors);
        Assert.Contains(Prefix + "spec.subsets[0].trafficPolicy.loadBalancer.warmup.duration: invalid duration \"-1s\"; expected e.g. 30s, 2m or 1m30s", errors);
    }
}
