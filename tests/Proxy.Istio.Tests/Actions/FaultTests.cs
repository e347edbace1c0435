using static Proxy.Istio.Tests.Actions.ActionYaml;

namespace Proxy.Istio.Tests.Actions;

/// <summary>
/// HTTPFaultInjection (virtual_service.proto): "Delay and abort faults are independent of one another"; validated as
/// Istio's validateHTTPFaultInjection does and translated as route.go TranslateFault does.
/// </summary>
public sealed class FaultTests
{
    [Fact]
    public void Build_DelayAndAbort_BothWithTheirPercentages()
    {
        var fault = Route(ToV1("""
                fault:
                  delay: {fixedDelay: 5s, percentage: {value: 0.1}}
                  abort: {httpStatus: 400, percentage: {value: 12.5}}
            """)).Fault!;

        Assert.Equal(TimeSpan.FromSeconds(5), fault.Delay);
        Assert.Equal(0.1, fault.DelayPercentage);
        Assert.Equal(400, fault.AbortStatusCode);
        Assert.Equal(12.5, fault.AbortPercentage);
    }

    [Fact]
    public void Build_AbortOnly_NoDelay()
    {
        var fault = Route(ToV1("    fault: {abort: {httpStatus: 503, percentage: {value: 100}}}")).Fault!;

        Assert.Null(fault.Delay);
        Assert.Equal(503, fault.AbortStatusCode);
        Assert.Equal(100, fault.AbortPercentage);
    }

    // Delay: "If left unspecified, no request will be delayed"; Abort: "If not specified, no request will be
    // aborted". TranslateFault leaves Envoy's percentage at 0, so the fault is kept at 0% and warned about.
    [Fact]
    public void Build_PercentageUnspecified_ZeroPercentWithWarnings()
    {
        var http = ToV1("    fault: {delay: {fixedDelay: 1s}, abort: {httpStatus: 500}}");

        var fault = Route(http).Fault!;

        Assert.Equal(0, fault.DelayPercentage);
        Assert.Equal(0, fault.AbortPercentage);
        Assert.Equal(
            [
                "spec.http[0].fault.delay: has no percentage, so no request is delayed (Istio's default is 0%)",
                "spec.http[0].fault.abort: has no percentage, so no request is aborted (Istio's default is 0%)",
            ],
            Warnings(http));
    }

    // Delay.percent: "Use of integer `percent` value is deprecated"; TranslateFault uses it when percentage is unset.
    [Fact]
    public void Build_DeprecatedDelayPercent_UsedWithWarning()
    {
        var http = ToV1("    fault: {delay: {fixedDelay: 100ms, percent: 30}}");

        Assert.Equal(30, Route(http).Fault!.DelayPercentage);
        Assert.Equal(["spec.http[0].fault.delay.percent: deprecated; use percentage.value"], Warnings(http));
    }

    // A gRPC abort cannot be answered by this HTTP/1.1 gateway: warned and ignored, leaving no fault.
    [Fact]
    public void Build_GrpcAbort_WarnedAndIgnored()
    {
        var http = ToV1("    fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 50}}}");

        Assert.Null(Route(http).Fault);
        Assert.Equal(["spec.http[0].fault.abort.grpcStatus: gRPC aborts are not supported by this HTTP/1.1 gateway; the abort is ignored"], Warnings(http));
    }

    // validateHTTPFaultInjectionAbort: "abort configured, but error type not set" is a warning, and TranslateFault
    // drops such an abort.
    [Fact]
    public void Build_AbortWithoutErrorType_WarnedAndIgnored()
    {
        var http = ToV1("    fault: {abort: {percentage: {value: 50}}, delay: {fixedDelay: 1s, percentage: {value: 50}}}");

        var fault = Route(http).Fault!;

        Assert.Null(fault.AbortStatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), fault.Delay);
        Assert.Equal(["spec.http[0].fault.abort: abort configured, but error type not set; the abort is ignored"], Warnings(http));
    }

    // validateHTTPFaultInjection, validatePercentage ("neither 0.0, nor in range [0.0001, 100.0]"), validateHTTPStatus,
    // validateGRPCStatus, ValidateDuration (at least 1ms, whole milliseconds).
    [Theory]
    [InlineData("    fault: {}", "spec.http[0].fault: must have an abort and/or a delay")]
    [InlineData("    fault: {abort: {http2Error: INTERNAL_ERROR}}", "spec.http[0].fault.abort.http2Error: HTTP/2 abort fault injection is not supported by Istio")]
    [InlineData("    fault: {abort: {httpStatus: 600, percentage: {value: 1}}}", "spec.http[0].fault.abort.httpStatus: HTTP status 600 is not in range 200-599")]
    [InlineData("    fault: {abort: {httpStatus: 500, grpcStatus: INTERNAL}}", "spec.http[0].fault.abort: only one of httpStatus, grpcStatus and http2Error may be set")]
    [InlineData("    fault: {abort: {grpcStatus: BROKEN}}", "spec.http[0].fault.abort.grpcStatus: gRPC status \"BROKEN\" is not supported; use a name such as NOT_FOUND or UNAVAILABLE")]
    [InlineData("    fault: {abort: {httpStatus: 500, percentage: {value: 101}}}", "spec.http[0].fault.abort.percentage.value: percentage 101 is neither 0.0, nor in range [0.0001, 100.0]")]
    [InlineData("    fault: {delay: {fixedDelay: 1s, percentage: {value: 0.00001}}}", "spec.http[0].fault.delay.percentage.value: percentage 1E-05 is neither 0.0, nor in range [0.0001, 100.0]")]
    [InlineData("    fault: {delay: {fixedDelay: 1s, percentage: {value: lots}}}", "spec.http[0].fault.delay.percentage.value: expected a number")]
    [InlineData("    fault: {delay: {fixedDelay: 500us, percentage: {value: 1}}}", "spec.http[0].fault.delay.fixedDelay: duration \"500us\" must be at least 1ms, in whole milliseconds")]
    [InlineData("    fault: {delay: {fixedDelay: soon, percentage: {value: 1}}}", "spec.http[0].fault.delay.fixedDelay: invalid duration \"soon\"; expected e.g. 10s, 1.5s, 250ms, 1m or 1h")]
    [InlineData("    fault: {delay: {exponentialDelay: 1s}}", "spec.http[0].fault.delay.exponentialDelay: exponentialDelay is not supported by Istio")]
    [InlineData("    fault: {delay: {fixedDelay: 1s, percent: 101}}", "spec.http[0].fault.delay.percent: 101 is out of range [0, 100]")]
    public void Build_InvalidFault_Error(string fields, string expected)
    {
        Assert.Equal(expected, Error(ToV1(fields)));
    }
}
