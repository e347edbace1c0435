using Proxy.Engine.Config;
using Proxy.Istio.Loading;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>
/// DestinationRule <c>outlierDetection</c>, checked as Istio's validateOutlierDetection and mapped as its
/// applyOutlierDetection (pilot/pkg/networking/core/cluster_traffic_policy.go) builds Envoy's outlier_detection; what
/// Istio leaves unset takes Envoy's default.
/// </summary>
internal static class OutlierDetectionParser
{
    /// <summary>Envoy's consecutive_5xx and consecutive_local_origin_failure default.</summary>
    private const int EnvoyConsecutiveDefault = 5;

    /// <summary>Envoy's max_ejection_percent default.</summary>
    private const int EnvoyMaxEjectionPercent = 10;

    /// <summary>Envoy's max_ejection_time default: "300s or base_ejection_time value ..., whatever is larger".</summary>
    private static readonly TimeSpan EnvoyMaxEjectionTime = TimeSpan.FromSeconds(300);

    public static OutlierDetectionConfig? Parse(YamlNode? node, string path, NodeReader reader)
    {
        var errors = reader.ErrorCount;
        var fields = reader.Mapping(node, path,
            ["consecutiveErrors", "splitExternalLocalOriginErrors", "consecutiveLocalOriginFailures", "consecutiveGatewayErrors", "consecutive5xxErrors",
             "interval", "baseEjectionTime", "maxEjectionPercent", "minHealthPercent"],
            unsupported: ["outlierDetectionHttpErrorCodes"]);
        if (fields is null)
        {
            return null;
        }

        // Deprecated int32: validateOutlierDetection warns and applyOutlierDetection no longer reads it.
        if (reader.Int(fields["consecutiveErrors"], fields.PathOf("consecutiveErrors"), int.MinValue, int.MaxValue) is not (null or 0))
        {
            reader.Warning(fields.PathOf("consecutiveErrors"), "deprecated and ignored, as by Istio; use consecutiveGatewayErrors or consecutive5xxErrors instead");
        }

        // UInt32Value: set means enforced at 100 % when above 0 and disabled at 0; unset keeps Envoy's 5 for 5xx
        // (enforced) and leaves gateway errors unenforced.
        var consecutive5xx = UInt(fields, "consecutive5xxErrors", reader) ?? EnvoyConsecutiveDefault;
        var consecutiveGateway = UInt(fields, "consecutiveGatewayErrors", reader) ?? 0;

        var split = reader.Bool(fields["splitExternalLocalOriginErrors"], fields.PathOf("splitExternalLocalOriginErrors")) ?? false;
        var localOrigin = UInt(fields, "consecutiveLocalOriginFailures", reader);
        if (!split && localOrigin > 0)
        {
            reader.Error(fields.PathOf("consecutiveLocalOriginFailures"),
                "outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false");
        }

        var interval = fields.Has("interval") ? reader.Duration(fields["interval"], fields.PathOf("interval")) : null;
        var baseEjection = fields.Has("baseEjectionTime") ? reader.Duration(fields["baseEjectionTime"], fields.PathOf("baseEjectionTime")) : null;
        var maxEjectionPercent = Percent(fields, "maxEjectionPercent", reader);
        var minHealthPercent = Percent(fields, "minHealthPercent", reader);
        if (reader.ErrorCount > errors)
        {
            return null;
        }

        var defaults = new OutlierDetectionConfig();
        var baseEjectionTime = baseEjection ?? defaults.BaseEjectionTime;
        return new OutlierDetectionConfig
        {
            Consecutive5xxErrors = consecutive5xx,
            ConsecutiveGatewayErrors = consecutiveGateway,
            SplitExternalLocalOriginErrors = split,

            // Only a value above 0 is passed on; 0 or unset leaves Envoy's 5 (enforced) when split.
            ConsecutiveLocalOriginFailures = localOrigin > 0 ? localOrigin.Value : EnvoyConsecutiveDefault,
            Interval = interval ?? defaults.Interval,
            BaseEjectionTime = baseEjectionTime,
            MaxEjectionTime = baseEjectionTime > EnvoyMaxEjectionTime ? baseEjectionTime : EnvoyMaxEjectionTime,

            // "if outlier.MaxEjectionPercent > 0": 0 leaves Envoy's 10.
            MaxEjectionPercent = maxEjectionPercent > 0 ? maxEjectionPercent.Value : EnvoyMaxEjectionPercent,

            // Always set as the healthy panic threshold, so 0 (unset) disables panic mode instead of Envoy's 50.
            MinHealthPercent = minHealthPercent ?? 0,
        };
    }

    private static int? UInt(Fields fields, string key, NodeReader reader) =>
        reader.Int(fields[key], fields.PathOf(key), 0, int.MaxValue);

    /// <summary>Istio ValidatePercent: "percentage %v is not in range 0..100".</summary>
    private static int? Percent(Fields fields, string key, NodeReader reader)
    {
        var path = fields.PathOf(key);
        var value = reader.Int(fields[key], path, int.MinValue, int.MaxValue);
        if (value is < 0 or > 100)
        {
            reader.Error(path, $"percentage {value} is not in range 0..100");
            return null;
        }

        return value;
    }
}
