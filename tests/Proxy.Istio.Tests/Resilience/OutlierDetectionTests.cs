using Proxy.Engine.Config;
using Proxy.Istio.Tests.Parsing;

namespace Proxy.Istio.Tests.Resilience;

/// <summary>
/// DestinationRule <c>outlierDetection</c> (destination_rule.proto OutlierDetection) compiled as Istio's
/// applyOutlierDetection (pilot/pkg/networking/core/cluster_traffic_policy.go) builds Envoy's outlier_detection (what
/// Istio leaves unset takes Envoy's default), validated as validateOutlierDetection (pkg/config/validation).
/// </summary>
public sealed class OutlierDetectionTests
{
    private const string Prefix = "test.yaml[2] DestinationRule default/backend: ";

    private static string Yaml(string outlier) =>
        DestinationRuleParserTests.Config($"  trafficPolicy:\n    outlierDetection: {outlier}\n" + DestinationRuleParserTests.Subsets);

    private static OutlierDetectionConfig Outlier(string outlier)
    {
        var detection = TestConfig.BuildValid(Yaml(outlier)).Clusters.Single(c => c.Name.Contains("|v1|", StringComparison.Ordinal)).OutlierDetection;
        Assert.NotNull(detection);
        return detection;
    }

    // An empty outlierDetection enables Envoy's detector with its defaults: consecutive_5xx 5 (enforced 100 %),
    // consecutive gateway failures not enforced, interval 10 s, base ejection 30 s, max ejection 10 %, max ejection
    // time 300 s; Istio sets the panic threshold to minHealthPercent, 0 ("Disable panic threshold by default").
    [Fact]
    public void Build_Empty_EnvoyDefaultsWithPanicDisabled()
    {
        var detection = Outlier("{}");

        Assert.Equal(new OutlierDetectionConfig
        {
            Consecutive5xxErrors = 5,
            ConsecutiveGatewayErrors = 0,
            SplitExternalLocalOriginErrors = false,
            ConsecutiveLocalOriginFailures = 5,
            Interval = TimeSpan.FromSeconds(10),
            BaseEjectionTime = TimeSpan.FromSeconds(30),
            MaxEjectionTime = TimeSpan.FromSeconds(300),
            MaxEjectionPercent = 10,
            MinHealthPercent = 0,
        }, detection);
    }

    [Fact]
    public void Build_AllFields_Compiled()
    {
        var detection = Outlier("""
            {consecutive5xxErrors: 7, consecutiveGatewayErrors: 3, splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 2,
                  interval: 5m, baseEjectionTime: 15m, maxEjectionPercent: 100, minHealthPercent: 50}
            """);

        Assert.Equal(7, detection.Consecutive5xxErrors);
        Assert.Equal(3, detection.ConsecutiveGatewayErrors);
        Assert.True(detection.SplitExternalLocalOriginErrors);
        Assert.Equal(2, detection.ConsecutiveLocalOriginFailures);
        Assert.Equal(TimeSpan.FromMinutes(5), detection.Interval);
        Assert.Equal(TimeSpan.FromMinutes(15), detection.BaseEjectionTime);
        Assert.Equal(100, detection.MaxEjectionPercent);
        Assert.Equal(50, detection.MinHealthPercent);
    }

    // OutlierDetection.consecutive_5xx_errors: "Setting this to 0 disables 5xx-based outlier detection" (Istio sets
    // enforcing_consecutive_5xx to 0); consecutive_gateway_errors likewise.
    [Fact]
    public void Build_ZeroConsecutiveErrors_Disabled()
    {
        var detection = Outlier("{consecutive5xxErrors: 0, consecutiveGatewayErrors: 0}");

        Assert.Equal((0, 0), (detection.Consecutive5xxErrors, detection.ConsecutiveGatewayErrors));
    }

    // applyOutlierDetection passes consecutiveLocalOriginFailures on only when above 0, so 0 leaves Envoy's 5, and
    // "if outlier.MaxEjectionPercent > 0", so 0 leaves Envoy's 10.
    [Fact]
    public void Build_ZeroLocalOriginAndMaxEjectionPercent_EnvoyDefaults()
    {
        var detection = Outlier("{splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 0, maxEjectionPercent: 0}");

        Assert.Equal((5, 10), (detection.ConsecutiveLocalOriginFailures, detection.MaxEjectionPercent));
    }

    // Envoy max_ejection_time: "If not specified, the default value (300000ms or 300s) or base_ejection_time value is
    // applied, whatever is larger."
    [Theory]
    [InlineData("{baseEjectionTime: 1m}", 300)]
    [InlineData("{baseEjectionTime: 10m}", 600)]
    public void Build_MaxEjectionTime_LargerOf300sAndBase(string outlier, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Outlier(outlier).MaxEjectionTime);
    }

    // validateOutlierDetection: "outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or
    // consecutive5xxErrors instead" (a warning); applyOutlierDetection does not read it.
    [Fact]
    public void Build_DeprecatedConsecutiveErrors_WarnedAndIgnored()
    {
        var result = TestConfig.Build(Yaml("{consecutiveErrors: 3}"));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(5, result.Config!.Clusters[0].OutlierDetection!.Consecutive5xxErrors);
        Assert.Contains(Prefix + "spec.trafficPolicy.outlierDetection.consecutiveErrors: deprecated and ignored, as by Istio; use consecutiveGatewayErrors or consecutive5xxErrors instead", result.Warnings);
    }

    // MergeTrafficPolicy: a subset's outlierDetection replaces the rule's whole; port-level settings replace without
    // inheritance ("default values will be applied to fields omitted in port-level traffic policies").
    [Fact]
    public void Build_SubsetAndPortLevel_Override()
    {
        var config = TestConfig.BuildValid(DestinationRuleParserTests.Config("""
              trafficPolicy:
                outlierDetection: {consecutive5xxErrors: 3, interval: 1s}
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy:
                  outlierDetection: {consecutiveGatewayErrors: 2}
              - name: v2
                labels: {version: v2}
                trafficPolicy:
                  portLevelSettings:
                  - port: {number: 80}
                    loadBalancer: {simple: RANDOM}
            """));
        var v1 = config.Clusters.Single(c => c.Name.Contains("|v1|", StringComparison.Ordinal)).OutlierDetection!;
        var v2 = config.Clusters.Single(c => c.Name.Contains("|v2|", StringComparison.Ordinal)).OutlierDetection;

        Assert.Equal((5, 2, TimeSpan.FromSeconds(10)), (v1.Consecutive5xxErrors, v1.ConsecutiveGatewayErrors, v1.Interval));
        Assert.Null(v2);
    }

    [Fact]
    public void Build_PortLevel_OwnDetection()
    {
        var config = TestConfig.BuildValid(DestinationRuleParserTests.Config("""
              trafficPolicy:
                portLevelSettings:
                - port: {number: 80}
                  outlierDetection: {consecutive5xxErrors: 9, minHealthPercent: 30}
            """ + "\n" + DestinationRuleParserTests.Subsets));

        var detection = config.Clusters[0].OutlierDetection!;

        Assert.Equal((9, 30), (detection.Consecutive5xxErrors, detection.MinHealthPercent));
    }

    [Fact]
    public void Build_HttpErrorCodes_NotSupportedWarning()
    {
        var result = TestConfig.Build(Yaml("{outlierDetectionHttpErrorCodes: [500]}"));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Contains(Prefix + "spec.trafficPolicy.outlierDetection.outlierDetectionHttpErrorCodes: not supported yet; ignored", result.Warnings);
    }

    // validateOutlierDetection.
    [Theory]
    [InlineData("{consecutiveLocalOriginFailures: 3}", "spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures: outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false")]
    [InlineData("{maxEjectionPercent: 101}", "spec.trafficPolicy.outlierDetection.maxEjectionPercent: percentage 101 is not in range 0..100")]
    [InlineData("{minHealthPercent: -1}", "spec.trafficPolicy.outlierDetection.minHealthPercent: percentage -1 is not in range 0..100")]
    [InlineData("{interval: 0s}", "spec.trafficPolicy.outlierDetection.interval: duration \"0s\" must be at least 1ms, in whole milliseconds")]
    [InlineData("{baseEjectionTime: 30}", "spec.trafficPolicy.outlierDetection.baseEjectionTime: invalid duration \"30\"; expected e.g. 10s, 1.5s, 250ms, 1m or 1h")]
    [InlineData("{consecutive5xxErrors: -1}", "spec.trafficPolicy.outlierDetection.consecutive5xxErrors: -1 is out of range [0, 2147483647]")]
    [InlineData("{consecutiveGatewayErrors: lots}", "spec.trafficPolicy.outlierDetection.consecutiveGatewayErrors: expected an integer, got \"lots\"")]
    [InlineData("{splitExternalLocalOriginErrors: yes}", "spec.trafficPolicy.outlierDetection.splitExternalLocalOriginErrors: expected true or false, got \"yes\"")]
    [InlineData("{consecutive5xx: 3}", "spec.trafficPolicy.outlierDetection.consecutive5xx: unknown field")]
    public void Build_InvalidOutlierDetection_Error(string outlier, string expected)
    {
        Assert.Equal([Prefix + expected], TestConfig.Errors(Yaml(outlier)));
    }

    [Fact]
    public void Build_InvalidSubsetOutlierDetection_ErrorNamesSubsetPath()
    {
        var errors = TestConfig.Errors(DestinationRuleParserTests.Config("""
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy: {outlierDetection: {maxEjectionPercent: 200}}
              - name: v2
                labels: {version: v2}
            """));

        Assert.Equal([Prefix + "spec.subsets[0].trafficPolicy.outlierDetection.maxEjectionPercent: percentage 200 is not in range 0..100"], errors);
    }
}
