using Proxy.Engine.Routing;
using static Proxy.Istio.Tests.Actions.ActionYaml;

namespace Proxy.Istio.Tests.Resilience;

/// <summary>
/// HTTPRoute.retries (virtual_service.proto HTTPRetry) compiled as Istio's retry.go ConvertPolicy builds Envoy's
/// retry_policy, and validated as ValidateHTTPRetry (pkg/config/validation/agent/validation.go).
/// </summary>
public sealed class RetryTests
{
    private const RetryConditions DefaultRetryOn = RetryConditions.ConnectFailure | RetryConditions.RefusedStream |
        RetryConditions.GrpcUnavailable | RetryConditions.GrpcCancelled | RetryConditions.RetriableStatusCodes;

    private static RetryPolicy Retry(string retries)
    {
        var retry = Route(ToV1("    retries: " + retries)).Retry;
        Assert.NotNull(retry);
        return retry;
    }

    /// <summary>A gateway, backend.example.internal with one endpoint and a DestinationRule with <paramref name="trafficPolicy"/>,
    /// and a route to it with <paramref name="routeFields"/>.</summary>
    private static HttpRoute SingleDestination(string trafficPolicy, string routeFields = "", string destinations = "[{destination: {host: backend.example.internal}}]")
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: backend}
            spec:
              hosts: [backend.example.internal, other.example.internal]
              resolution: STATIC
              ports: [{number: 80, name: http, protocol: HTTP}]
              endpoints: [{address: 10.0.0.1}, {address: 10.0.0.2}]
            """, $$"""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: backend}
            spec:
              host: backend.example.internal
              trafficPolicy: {{trafficPolicy}}
            """, TestConfig.VirtualService($"  - route: {destinations}\n{routeFields}"));
        var route = TestConfig.Route(TestConfig.BuildValid(yaml), "x", "/");
        Assert.NotNull(route);
        return route;
    }

    // retry.go DefaultPolicy (no retries on the route): NumRetries 2, RetryOn
    // "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes", the previous-hosts predicate,
    // HostSelectionRetryMaxAttempts 5, and RetriableStatusCodes [503] (DESIGN.md; Istio before 1.24, which later took
    // it out for POSTs' sake, #50506). The user did not write retryOn, so a POST is never retried after it was sent.
    [Fact]
    public void Build_NoRetries_IstioDefaultPolicy()
    {
        var retry = Route(ToV1("")).Retry;

        Assert.NotNull(retry);
        Assert.Equal(2, retry.NumRetries);
        Assert.Equal(DefaultRetryOn, retry.RetryOn);
        Assert.Equal([503], retry.RetriableStatusCodes);
        Assert.True(retry.AvoidPreviousHosts);
        Assert.False(retry.RetryNonIdempotent);
        Assert.Null(retry.PerTryTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(25), retry.BackoffBase);
    }

    // ConvertPolicy: "When Consistent Hashing is enabled, we don't want to use other hosts during retries"
    // (DefaultConsistentHashPolicy has no RetryHostPredicate), for ring hash and maglev alike.
    [Theory]
    [InlineData("{loadBalancer: {consistentHash: {httpHeaderName: x-user}}}")]
    [InlineData("{loadBalancer: {consistentHash: {httpHeaderName: x-user, maglev: {}}}}")]
    public void Build_NoRetriesConsistentHash_DefaultPolicyWithoutPreviousHosts(string policy)
    {
        var retry = SingleDestination(policy).Retry;

        Assert.NotNull(retry);
        Assert.Equal((2, DefaultRetryOn, false), (retry.NumRetries, retry.RetryOn, retry.AvoidPreviousHosts));
    }

    // applyHTTPRouteDestination looks up the hash only when the route has one destination (len(in.Route) == 1).
    [Fact]
    public void Build_ConsistentHashAmongWeightedDestinations_KeepsPreviousHosts()
    {
        var retry = SingleDestination("{loadBalancer: {consistentHash: {httpHeaderName: x-user}}}",
            destinations: "[{destination: {host: backend.example.internal}, weight: 50}, {destination: {host: other.example.internal}, weight: 50}]").Retry;

        Assert.True(retry!.AvoidPreviousHosts);
    }

    // ConvertPolicy: an explicit retryIgnorePreviousHosts is honoured, even for a consistent-hash destination.
    [Fact]
    public void Build_ConsistentHashWithExplicitIgnorePreviousHosts_Honoured()
    {
        var route = SingleDestination("{loadBalancer: {consistentHash: {httpHeaderName: x-user}}}", "    retries: {attempts: 1, retryIgnorePreviousHosts: true}");

        Assert.True(route.Retry!.AvoidPreviousHosts);
    }

    [Fact]
    public void Build_SimpleLoadBalancer_KeepsPreviousHosts()
    {
        Assert.True(SingleDestination("{loadBalancer: {simple: ROUND_ROBIN}}").Retry!.AvoidPreviousHosts);
    }

    // HTTPRetry.attempts: "If 0, retries will be disabled" (ConvertPolicy returns nil).
    [Theory]
    [InlineData("{attempts: 0}")]
    [InlineData("{}")]
    [InlineData("{attempts: 0, retryIgnorePreviousHosts: false, backoff: 1s}")]
    public void Build_ZeroAttempts_NoRetries(string retries)
    {
        Assert.Null(Route(ToV1("    retries: " + retries)).Retry);
    }

    // ConvertPolicy with attempts only: the default's retryOn, status codes and host predicate; the user
    // did not write retryOn, so non-idempotent requests keep the safe default.
    [Fact]
    public void Build_AttemptsOnly_DefaultConditions()
    {
        var retry = Retry("{attempts: 5}");

        Assert.Equal((5, DefaultRetryOn, true, false), (retry.NumRetries, retry.RetryOn, retry.AvoidPreviousHosts, retry.RetryNonIdempotent));
        Assert.Equal([503], retry.RetriableStatusCodes);
    }

    // An empty retryOn is proto3's unset string: "if in.RetryOn != \"\"" keeps the default.
    [Fact]
    public void Build_EmptyRetryOn_DefaultConditions()
    {
        var retry = Retry("{attempts: 1, retryOn: \"\"}");

        Assert.Equal((DefaultRetryOn, false), (retry.RetryOn, retry.RetryNonIdempotent));
    }

    // HTTPRetry.retry_on: Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on conditions; an explicit retryOn is the
    // user asking for them, so non-idempotent requests are retried on them too (issue 5's deliberate difference).
    [Theory]
    [InlineData("5xx", RetryConditions.ServerError)]
    [InlineData("gateway-error", RetryConditions.GatewayError)]
    [InlineData("reset", RetryConditions.Reset)]
    [InlineData("connect-failure", RetryConditions.ConnectFailure)]
    [InlineData("retriable-4xx", RetryConditions.Retriable4xx)]
    [InlineData("refused-stream", RetryConditions.RefusedStream)]
    [InlineData("retriable-status-codes", RetryConditions.RetriableStatusCodes)]
    [InlineData("envoy-ratelimited", RetryConditions.EnvoyRateLimited)]
    [InlineData("cancelled", RetryConditions.GrpcCancelled)]
    [InlineData("deadline-exceeded", RetryConditions.GrpcDeadlineExceeded)]
    [InlineData("internal", RetryConditions.GrpcInternal)]
    [InlineData("resource-exhausted", RetryConditions.GrpcResourceExhausted)]
    [InlineData("unavailable", RetryConditions.GrpcUnavailable)]
    [InlineData("5xx,reset,connect-failure", RetryConditions.ServerError | RetryConditions.Reset | RetryConditions.ConnectFailure)]
    public void Build_RetryOn_Conditions(string retryOn, RetryConditions expected)
    {
        var retry = Retry($"{{attempts: 3, retryOn: \"{retryOn}\"}}");

        Assert.Equal((3, expected, true), (retry.NumRetries, retry.RetryOn, retry.RetryNonIdempotent));
        Assert.Empty(retry.RetriableStatusCodes);
    }

    // HTTPRetry.retry_on: "a list of HTTP status codes can be passed, such as retryOn: \"503,reset\""; parseRetryOn
    // moves integers to RetriableStatusCodes and ConvertPolicy appends retriable-status-codes.
    [Theory]
    [InlineData("503,reset", RetryConditions.Reset | RetryConditions.RetriableStatusCodes, new[] { 503 })]
    [InlineData("503", RetryConditions.RetriableStatusCodes, new[] { 503 })]
    [InlineData("gateway-error,retriable-status-codes,503", RetryConditions.GatewayError | RetryConditions.RetriableStatusCodes, new[] { 503 })]
    [InlineData("5xx,404,429,503", RetryConditions.ServerError | RetryConditions.RetriableStatusCodes, new[] { 404, 429, 503 })]
    public void Build_RetryOnStatusCodes_RetriableStatusCodes(string retryOn, RetryConditions expected, int[] codes)
    {
        var retry = Retry($"{{attempts: 2, retryOn: \"{retryOn}\"}}");

        Assert.Equal(expected, retry.RetryOn);
        Assert.Equal(codes, retry.RetriableStatusCodes);
        Assert.True(retry.RetryNonIdempotent);
    }

    // HTTPRetry.per_try_timeout, backoff ("the minimum duration between retry attempts ... base interval for
    // exponential backoff"), retry_ignore_previous_hosts: ConvertPolicy copies each when set.
    [Fact]
    public void Build_AllFields_Compiled()
    {
        var retry = Retry("{attempts: 4, perTryTimeout: 2s, retryOn: gateway-error, retryIgnorePreviousHosts: false, backoff: 100ms}");

        Assert.Equal(4, retry.NumRetries);
        Assert.Equal(TimeSpan.FromSeconds(2), retry.PerTryTimeout);
        Assert.Equal(RetryConditions.GatewayError, retry.RetryOn);
        Assert.False(retry.AvoidPreviousHosts);
        Assert.Equal(TimeSpan.FromMilliseconds(100), retry.BackoffBase);
        Assert.Null(retry.BackoffMax);
    }

    // retryRemoteLocalities sets Envoy's previous_priorities plugin, which needs localities; endpoints here have none.
    [Fact]
    public void Build_RetryRemoteLocalities_AcceptedWithWarning()
    {
        var http = ToV1("    retries: {attempts: 2, retryRemoteLocalities: true}");

        Assert.Equal(2, Route(http).Retry!.NumRetries);
        Assert.Equal(["spec.http[0].retries.retryRemoteLocalities: has no effect: this gateway's endpoints have no localities"], Warnings(http));
        Assert.Empty(Warnings(ToV1("    retries: {attempts: 2, retryRemoteLocalities: false}")));
    }

    // Conditions Istio accepts (supportedRetryOnPolicies) that an HTTP/1.1 gateway cannot act on as Envoy does.
    [Theory]
    [InlineData("reset-before-request", RetryConditions.ConnectFailure, "reset-before-request is treated as connect-failure")]
    [InlineData("retriable-headers,5xx", RetryConditions.ServerError, "retriable-headers has no effect: Istio configures no retriable headers")]
    [InlineData("http3-post-connect-failure,reset", RetryConditions.Reset, "http3-post-connect-failure has no effect: upstream connections are HTTP/1.1")]
    public void Build_RetryOnWithoutEffect_Warned(string retryOn, RetryConditions expected, string warning)
    {
        var http = ToV1($"    retries: {{attempts: 1, retryOn: \"{retryOn}\"}}");

        Assert.Equal(expected, Route(http).Retry!.RetryOn);
        Assert.Equal(["spec.http[0].retries.retryOn: " + warning], Warnings(http));
    }

    // ValidateHTTPRetry.
    [Theory]
    [InlineData("{attempts: -1}", "spec.http[0].retries.attempts: attempts cannot be negative")]
    [InlineData("{attempts: 0, perTryTimeout: 1s}", "spec.http[0].retries: http retry policy configured when attempts are set to 0 (disabled)")]
    [InlineData("{retryOn: 5xx}", "spec.http[0].retries: http retry policy configured when attempts are set to 0 (disabled)")]
    [InlineData("{attempts: 0, retryRemoteLocalities: false}", "spec.http[0].retries: http retry policy configured when attempts are set to 0 (disabled)")]
    [InlineData("{attempts: 2, perTryTimeout: 0s}", "spec.http[0].retries.perTryTimeout: duration \"0s\" must be at least 1ms, in whole milliseconds")]
    [InlineData("{attempts: 2, perTryTimeout: 1.5ms}", "spec.http[0].retries.perTryTimeout: duration \"1.5ms\" must be at least 1ms, in whole milliseconds")]
    [InlineData("{attempts: 2, backoff: 100us}", "spec.http[0].retries.backoff: duration \"100us\" must be at least 1ms, in whole milliseconds")]
    [InlineData("{attempts: 2, backoff: soon}", "spec.http[0].retries.backoff: invalid duration \"soon\"; expected e.g. 10s, 1.5s, 250ms, 1m or 1h")]
    [InlineData("{attempts: 2, retryOn: \"5xx,bogus\"}", "spec.http[0].retries.retryOn: \"bogus\" is not a valid retryOn policy (Envoy retry conditions or HTTP status codes, separated by commas without spaces)")]
    [InlineData("{attempts: 2, retryOn: \"5xx, reset\"}", "spec.http[0].retries.retryOn: \" reset\" is not a valid retryOn policy (Envoy retry conditions or HTTP status codes, separated by commas without spaces)")]
    [InlineData("{attempts: 2, retryOn: \"599\"}", "spec.http[0].retries.retryOn: \"599\" is not a valid retryOn policy (Envoy retry conditions or HTTP status codes, separated by commas without spaces)")]
    [InlineData("{attempts: 2, retryOn: \"5xx,\"}", "spec.http[0].retries.retryOn: \"\" is not a valid retryOn policy (Envoy retry conditions or HTTP status codes, separated by commas without spaces)")]
    [InlineData("{attempts: 2, retryIgnorePreviousHosts: maybe}", "spec.http[0].retries.retryIgnorePreviousHosts: expected true or false, got \"maybe\"")]
    [InlineData("{attempts: 2, tries: 3}", "spec.http[0].retries.tries: unknown field")]
    [InlineData("3", "spec.http[0].retries: expected a mapping, got \"3\"")]
    public void Build_InvalidRetries_Error(string retries, string expected)
    {
        Assert.Equal(expected, Error(ToV1("    retries: " + retries)));
    }

    // Istio mergeHTTPRoute: "if delegate.Retries == nil { delegate.Retries = root.Retries }".
    [Fact]
    public void Build_Delegate_InheritsRootRetriesUnlessItsOwn()
    {
        const string Leaf = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: leaf, namespace: default}
            spec:
              http:
              - match: [{uri: {prefix: /own}}]
                route: [{destination: {host: backend.example.internal, subset: v1}}]
                retries: {attempts: 1, retryOn: reset}
              - match: [{uri: {prefix: /off}}]
                route: [{destination: {host: backend.example.internal, subset: v1}}]
                retries: {attempts: 0}
              - route: [{destination: {host: backend.example.internal, subset: v1}}]
            """;
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            TestConfig.VirtualService("  - delegate: {name: leaf}\n    retries: {attempts: 7, retryOn: 5xx}", name: "root"), Leaf);

        var config = TestConfig.BuildValid(yaml);

        Assert.Equal((1, RetryConditions.Reset), (TestConfig.Route(config, "x", "/own")!.Retry!.NumRetries, TestConfig.Route(config, "x", "/own")!.Retry!.RetryOn));
        Assert.Null(TestConfig.Route(config, "x", "/off")!.Retry);
        Assert.Equal((7, RetryConditions.ServerError), (TestConfig.Route(config, "x", "/other")!.Retry!.NumRetries, TestConfig.Route(config, "x", "/other")!.Retry!.RetryOn));
    }

    // A delegate route with neither its own nor a root retries gets Istio's default policy, as any route does.
    [Fact]
    public void Build_DelegateWithoutRetries_DefaultPolicy()
    {
        const string Leaf = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: leaf, namespace: default}
            spec:
              http:
              - route: [{destination: {host: backend.example.internal, subset: v1}}]
            """;
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, TestConfig.VirtualService("  - delegate: {name: leaf}", name: "root"), Leaf);

        var retry = TestConfig.Route(TestConfig.BuildValid(yaml), "x", "/")!.Retry;

        Assert.Equal((2, DefaultRetryOn), (retry!.NumRetries, retry.RetryOn));
    }

    // Istio TranslateRoute keeps the retry policy beside a fault (the fault filter runs before the router, so an
    // aborted request never reaches it); a redirect or direct response answers at the gateway and has none.
    [Fact]
    public void Build_FaultRoute_KeepsRetries_AnswerRoutesHaveNone()
    {
        var faulted = Route(ToV1("    fault: {abort: {httpStatus: 503, percentage: {value: 50}}}\n    retries: {attempts: 3}"));
        Assert.Equal(3, faulted.Retry!.NumRetries);

        Assert.Null(Route("  - directResponse: {status: 200, body: {string: ok}}\n    retries: {attempts: 3}").Retry);
        Assert.Null(Route("  - redirect: {uri: /new}\n    retries: {attempts: 3}").Retry);
    }
}
