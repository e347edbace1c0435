namespace Proxy.Host.Tests.Cli;

/// <summary>
/// <c>proxy validate</c> on invalid retries, connection pools and outlier detection: exit code 1 (DESIGN.md "1 invalid
/// configuration") and the error in DESIGN.md's format, <c>file[i] Kind namespace/name: field.path: message</c>.
/// </summary>
public sealed class ResilienceValidateTests
{
    private const string Base = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw}
        spec:
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: ["*"]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: reviews}
        spec:
          hosts: [reviews.default.svc.cluster.local]
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints: [{address: 127.0.0.1, labels: {version: v1}}]
        ---
        """;

    private static string Config(string trafficPolicy, string routeFields) => Base + "\n" + $"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {"{name: reviews}"}
        spec:
          host: reviews
          trafficPolicy: {trafficPolicy}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {"{name: reviews}"}
        spec:
          hosts: ["*"]
          gateways: [gw]
          http:
          - route: [{"{destination: {host: reviews}}"}]
        {routeFields}
        """;

    [Theory]

    // ValidateHTTPRetry: "%q is not a valid retryOn policy".
    [InlineData("{loadBalancer: {simple: RANDOM}}", "    retries: {attempts: 3, retryOn: \"5xx,sometimes\"}",
        "[3] VirtualService default/reviews: spec.http[0].retries.retryOn: \"sometimes\" is not a valid retryOn policy")]

    // ValidateHTTPRetry: "http retry policy configured when attempts are set to 0 (disabled)".
    [InlineData("{loadBalancer: {simple: RANDOM}}", "    retries: {attempts: 0, perTryTimeout: 2s}",
        "[3] VirtualService default/reviews: spec.http[0].retries: http retry policy configured when attempts are set to 0 (disabled)")]

    // validateConnectionPool: "max connections must be non-negative".
    [InlineData("{connectionPool: {tcp: {maxConnections: -1}}}", "",
        "[2] DestinationRule default/reviews: spec.trafficPolicy.connectionPool.tcp.maxConnections: max connections must be non-negative")]

    // validateOutlierDetection: ValidatePercent(MaxEjectionPercent).
    [InlineData("{outlierDetection: {maxEjectionPercent: 150}}", "",
        "[2] DestinationRule default/reviews: spec.trafficPolicy.outlierDetection.maxEjectionPercent: percentage 150 is not in range 0..100")]
    public async Task Validate_InvalidResilienceField_Exits1NamingTheField(string trafficPolicy, string routeFields, string expected)
    {
        using var config = new TempConfig();
        var path = config.Write("resilience.yaml", Config(trafficPolicy, routeFields));

        var result = await CliRunner.RunAsync("validate", "--config", path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.StderrLines, l => l.StartsWith(path + expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_EveryResilienceFieldValid_Exits0()
    {
        using var config = new TempConfig();
        var path = config.Write("resilience.yaml", Config("""

                connectionPool:
                  tcp: {maxConnections: 100, connectTimeout: 1s, tcpKeepalive: {probes: 3, time: 60s, interval: 10s}, maxConnectionDuration: 1h, idleTimeout: 5m}
                  http: {http1MaxPendingRequests: 10, http2MaxRequests: 100, maxRequestsPerConnection: 50, maxRetries: 3, idleTimeout: 1m}
                outlierDetection: {consecutive5xxErrors: 5, consecutiveGatewayErrors: 3, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50, minHealthPercent: 20}
            """, "    retries: {attempts: 3, perTryTimeout: 2s, retryOn: \"gateway-error,reset,503\", retryIgnorePreviousHosts: true, backoff: 50ms}"));

        var result = await CliRunner.RunAsync("validate", "--config", path);

        Assert.True(result.ExitCode == 0, result.Stderr);
    }
}
