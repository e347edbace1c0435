using Proxy.Engine.Routing;
using Proxy.Istio.Loading;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>HTTPFaultInjection: a delay and/or an abort, each on a percentage of requests.</summary>
internal static partial class VirtualServiceParser
{
    /// <summary>gRPC status names Istio accepts for <c>abort.grpcStatus</c> (pkg/util/grpc SupportedGRPCStatus).</summary>
    private static readonly string[] GrpcStatusNames =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
        "DATA_LOSS", "UNAUTHENTICATED",
    ];

    /// <summary>
    /// HTTPFaultInjection, checked as Istio's validateHTTPFaultInjection: a delay and/or an abort, percentages 0 or
    /// in [0.0001, 100]. An unset percentage injects nothing ("If left unspecified, no request will be delayed";
    /// route.go TranslateFault leaves Envoy's percentage at 0), so it is warned about.
    /// </summary>
    private static FaultPolicy? ParseFault(YamlNode? node, string path, NodeReader reader)
    {
        var errors = reader.ErrorCount;
        var fields = reader.Mapping(node, path, ["delay", "abort"]);
        if (fields is null)
        {
            return null;
        }

        if (!fields.Has("delay") && !fields.Has("abort"))
        {
            reader.Error(path, "must have an abort and/or a delay");
            return null;
        }

        var (delay, delayPercentage) = fields.Has("delay") ? ParseDelay(fields["delay"], fields.PathOf("delay"), reader) : (null, 0);
        var (abort, abortPercentage) = fields.Has("abort") ? ParseAbort(fields["abort"], fields.PathOf("abort"), reader) : (null, 0);
        if (reader.ErrorCount > errors || (delay is null && abort is null))
        {
            return null;
        }

        return new FaultPolicy
        {
            Delay = delay,
            DelayPercentage = delayPercentage,
            AbortStatusCode = abort,
            AbortPercentage = abortPercentage,
        };
    }

    private static (TimeSpan? Delay, double Percentage) ParseDelay(YamlNode? node, string path, NodeReader reader)
    {
        var fields = reader.Mapping(node, path, ["fixedDelay", "exponentialDelay", "percentage", "percent"]);
        if (fields is null)
        {
            return (null, 0);
        }

        if (fields.Has("exponentialDelay"))
        {
            reader.Error(fields.PathOf("exponentialDelay"), "exponentialDelay is not supported by Istio");
        }

        var delay = fields.Has("fixedDelay") ? reader.Duration(fields["fixedDelay"], fields.PathOf("fixedDelay")) : null;
        if (!fields.Has("fixedDelay") && !fields.Has("exponentialDelay"))
        {
            // route.go TranslateFault drops a delay without fixedDelay.
            reader.Warning(path, "has no fixedDelay, so no request is delayed");
        }

        double percentage;
        if (fields.Has("percentage"))
        {
            percentage = ReadPercent(fields["percentage"], fields.PathOf("percentage"), reader, fault: true) ?? 0;
        }
        else if (fields.Has("percent"))
        {
            // TranslateFault falls back to the deprecated integer percent.
            reader.Warning(fields.PathOf("percent"), "deprecated; use percentage.value");
            percentage = reader.Int(fields["percent"], fields.PathOf("percent"), 0, 100) ?? 0;
        }
        else
        {
            percentage = 0;
            if (delay is not null)
            {
                reader.Warning(path, "has no percentage, so no request is delayed (Istio's default is 0%)");
            }
        }

        return (delay, percentage);
    }

    private static (int? Status, double Percentage) ParseAbort(YamlNode? node, string path, NodeReader reader)
    {
        var fields = reader.Mapping(node, path, ["httpStatus", "grpcStatus", "http2Error", "percentage"]);
        if (fields is null)
        {
            return (null, 0);
        }

        var kinds = (fields.Has("httpStatus") ? 1 : 0) + (fields.Has("grpcStatus") ? 1 : 0) + (fields.Has("http2Error") ? 1 : 0);
        if (kinds > 1)
        {
            reader.Error(path, "only one of httpStatus, grpcStatus and http2Error may be set");
            return (null, 0);
        }

        var percentage = fields.Has("percentage") ? ReadPercent(fields["percentage"], fields.PathOf("percentage"), reader, fault: true) ?? 0 : 0;
        int? status = null;
        if (fields.Has("httpStatus"))
        {
            // Envoy's FaultAbort http_status is [200, 600).
            status = reader.Int(fields["httpStatus"], fields.PathOf("httpStatus"), int.MinValue, int.MaxValue);
            if (status is < 200 or > 599)
            {
                reader.Error(fields.PathOf("httpStatus"), $"HTTP status {status} is not in range 200-599");
                status = null;
            }
        }
        else if (fields.Has("grpcStatus"))
        {
            var grpc = reader.String(fields["grpcStatus"], fields.PathOf("grpcStatus"));
            if (grpc is not null && Array.IndexOf(GrpcStatusNames, grpc) < 0)
            {
                reader.Error(fields.PathOf("grpcStatus"), $"gRPC status \"{grpc}\" is not supported; use a name such as NOT_FOUND or UNAVAILABLE");
            }
            else
            {
                reader.Warning(fields.PathOf("grpcStatus"), "gRPC aborts are not supported by this HTTP/1.1 gateway; the abort is ignored");
            }
        }
        else if (fields.Has("http2Error"))
        {
            // validateHTTPFaultInjectionAbort: "HTTP/2 abort fault injection not supported yet".
            reader.Error(fields.PathOf("http2Error"), "HTTP/2 abort fault injection is not supported by Istio");
        }
        else
        {
            reader.Warning(path, "abort configured, but error type not set; the abort is ignored");
        }

        if (status is not null && !fields.Has("percentage"))
        {
            reader.Warning(path, "has no percentage, so no request is aborted (Istio's default is 0%)");
        }

        return (status, percentage);
    }
}
