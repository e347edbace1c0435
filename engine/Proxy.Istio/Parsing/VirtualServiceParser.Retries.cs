using System.Globalization;
using Proxy.Engine.Routing;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>HTTPRetry: attempts, per-try timeout, retry conditions, host selection and back-off.</summary>
internal static partial class VirtualServiceParser
{
    /// <summary>
    /// HTTP status codes Istio accepts in <c>retryOn</c>: those Go's <c>http.StatusText</c> names (ValidateHTTPRetry
    /// and parseRetryOn treat any integer with a status text as a code).
    /// </summary>
    private static readonly HashSet<int> KnownStatusCodes =
    [
        100, 101, 102, 103,
        200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
        300, 301, 302, 303, 304, 305, 307, 308,
        400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418,
        421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
        500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
    ];

    /// <summary>
    /// HTTPRetry, checked as Istio's ValidateHTTPRetry (pkg/config/validation/agent/validation.go): attempts not
    /// negative; with <c>attempts: 0</c> (retries disabled) no perTryTimeout, retryOn or retryRemoteLocalities;
    /// perTryTimeout and backoff ValidateDuration; each comma-separated <c>retryOn</c> item an Envoy condition or an
    /// HTTP status code. Null when invalid.
    /// </summary>
    private static RetryConfig? ParseRetries(YamlNode? node, string path, NodeReader reader)
    {
        var errors = reader.ErrorCount;
        var fields = reader.Mapping(node, path, ["attempts", "perTryTimeout", "retryOn", "retryRemoteLocalities", "retryIgnorePreviousHosts", "backoff"]);
        if (fields is null)
        {
            return null;
        }

        var attemptsPath = fields.PathOf("attempts");
        var attemptsErrors = reader.ErrorCount;
        var attempts = reader.Int(fields["attempts"], attemptsPath, int.MinValue, int.MaxValue) ?? 0;
        var attemptsRead = reader.ErrorCount == attemptsErrors;
        if (attempts < 0)
        {
            reader.Error(attemptsPath, "attempts cannot be negative");
        }

        var perTryTimeout = fields.Has("perTryTimeout") ? reader.Duration(fields["perTryTimeout"], fields.PathOf("perTryTimeout")) : null;
        var retryOnText = reader.String(fields["retryOn"], fields.PathOf("retryOn"));
        var retryRemoteLocalities = reader.Bool(fields["retryRemoteLocalities"], fields.PathOf("retryRemoteLocalities"));
        var ignorePreviousHosts = reader.Bool(fields["retryIgnorePreviousHosts"], fields.PathOf("retryIgnorePreviousHosts"));
        var backoff = fields.Has("backoff") ? reader.Duration(fields["backoff"], fields.PathOf("backoff")) : null;

        // An empty retryOn is proto3's unset string: Istio keeps its default conditions.
        var explicitRetryOn = !string.IsNullOrEmpty(retryOnText);
        if (attemptsRead && attempts == 0 && (fields.Has("perTryTimeout") || explicitRetryOn || fields.Has("retryRemoteLocalities")))
        {
            reader.Error(path, "http retry policy configured when attempts are set to 0 (disabled)");
        }

        RetryConditions? retryOn = null;
        var codes = new List<int>();
        if (explicitRetryOn)
        {
            retryOn = ParseRetryOn(retryOnText!, fields.PathOf("retryOn"), codes, reader);
        }

        if (retryRemoteLocalities == true && attempts > 0)
        {
            // Envoy's previous_priorities retry plugin moves retries to other localities; endpoints here have none.
            reader.Warning(fields.PathOf("retryRemoteLocalities"), "has no effect: this gateway's endpoints have no localities");
        }

        return reader.ErrorCount > errors ? null : new RetryConfig(attempts, perTryTimeout, retryOn, codes, ignorePreviousHosts, backoff);
    }

    /// <summary>
    /// Istio parseRetryOn over a <c>retryOn</c> validated as ValidateHTTPRetry does (items split at commas as
    /// written, so <c>"5xx, reset"</c> is an error there too): integers with a status text go to
    /// <paramref name="codes"/> and add <c>retriable-status-codes</c> (ConvertPolicy); the rest are Envoy's
    /// <c>x-envoy-retry-on</c> and <c>x-envoy-retry-grpc-on</c> conditions.
    /// </summary>
    private static RetryConditions ParseRetryOn(string text, string path, List<int> codes, NodeReader reader)
    {
        var conditions = RetryConditions.None;
        foreach (var item in text.Split(','))
        {
            if (int.TryParse(item, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code) && KnownStatusCodes.Contains(code))
            {
                codes.Add(code);
                conditions |= RetryConditions.RetriableStatusCodes;
                continue;
            }

            switch (item)
            {
                case "reset-before-request":
                    // Envoy: a reset before the request was sent upstream. The HTTP/1.1 pool can tell that apart only
                    // for a connection that could not be made.
                    reader.Warning(path, "reset-before-request is treated as connect-failure");
                    conditions |= RetryConditions.ConnectFailure;
                    continue;
                case "retriable-headers":
                    // Envoy matches the route's retriable_headers, which Istio never sets.
                    reader.Warning(path, "retriable-headers has no effect: Istio configures no retriable headers");
                    continue;
                case "http3-post-connect-failure":
                    reader.Warning(path, "http3-post-connect-failure has no effect: upstream connections are HTTP/1.1");
                    continue;
            }

            var condition = item switch
            {
                "5xx" => RetryConditions.ServerError,
                "gateway-error" => RetryConditions.GatewayError,
                "reset" => RetryConditions.Reset,
                "connect-failure" => RetryConditions.ConnectFailure,
                "retriable-4xx" => RetryConditions.Retriable4xx,
                "refused-stream" => RetryConditions.RefusedStream,
                "retriable-status-codes" => RetryConditions.RetriableStatusCodes,
                "envoy-ratelimited" => RetryConditions.EnvoyRateLimited,
                "cancelled" => RetryConditions.GrpcCancelled,
                "deadline-exceeded" => RetryConditions.GrpcDeadlineExceeded,
                "internal" => RetryConditions.GrpcInternal,
                "resource-exhausted" => RetryConditions.GrpcResourceExhausted,
                "unavailable" => RetryConditions.GrpcUnavailable,
                _ => RetryConditions.None,
            };
            if (condition == RetryConditions.None)
            {
                reader.Error(path, $"\"{item}\" is not a valid retryOn policy (Envoy retry conditions or HTTP status codes, separated by commas without spaces)");
                continue;
            }

            conditions |= condition;
        }

        return conditions;
    }
}
