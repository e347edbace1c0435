namespace Proxy.Engine.Logging;

/// <summary>How an access-log line is written.</summary>
public enum AccessLogFormat
{
    /// <summary>Istio's default text format: Envoy's default with Istio's additions, unset values as <c>-</c>.</summary>
    Text,

    /// <summary>One JSON object per line with Istio's field names (<c>start_time</c>, <c>response_code</c>, ...).</summary>
    Json,
}
