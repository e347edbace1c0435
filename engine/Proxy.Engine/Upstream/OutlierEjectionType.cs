namespace Proxy.Engine.Upstream;

/// <summary>Which consecutive-error detector ejected an endpoint (Envoy's <c>OutlierEjectionType</c> values we implement).</summary>
internal enum OutlierEjectionType : byte
{
    /// <summary>Consecutive 5xx answers (and, unsplit, local-origin failures): <c>CONSECUTIVE_5XX</c>.</summary>
    Consecutive5xx,

    /// <summary>Consecutive 502/503/504 answers (and, unsplit, local-origin failures): <c>CONSECUTIVE_GATEWAY_FAILURE</c>.</summary>
    ConsecutiveGatewayFailure,

    /// <summary>Consecutive local-origin failures, when split: <c>CONSECUTIVE_LOCAL_ORIGIN_FAILURE</c>.</summary>
    ConsecutiveLocalOriginFailure,
}
