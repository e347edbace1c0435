namespace Proxy.Engine.Config;

/// <summary>
/// Passive health checking (Istio DestinationRule <c>outlierDetection</c>, Envoy <c>outlier_detection</c>): an endpoint
/// that fails too many times in a row is ejected from load balancing for <see cref="BaseEjectionTime"/> times the
/// number of times it has been ejected (capped by <see cref="MaxEjectionTime"/>). Defaults are Istio's.
/// </summary>
public sealed record OutlierDetectionConfig
{
    /// <summary>Consecutive 5xx answers that eject an endpoint; 0 disables this check. Without
    /// <see cref="SplitExternalLocalOriginErrors"/>, connect failures, resets and timeouts count as 5xx too.</summary>
    public int Consecutive5xxErrors { get; init; } = 5;

    /// <summary>Consecutive 502, 503 or 504 answers (and, unsplit, local-origin failures) that eject; 0 disables.</summary>
    public int ConsecutiveGatewayErrors { get; init; }

    /// <summary>Count failures that happened locally (connect failure, reset, timeout) apart from the upstream's 5xx
    /// answers; they then eject only through <see cref="ConsecutiveLocalOriginFailures"/>.</summary>
    public bool SplitExternalLocalOriginErrors { get; init; }

    /// <summary>Consecutive local-origin failures that eject, when split; 0 disables.</summary>
    public int ConsecutiveLocalOriginFailures { get; init; } = 5;

    /// <summary>How often ejections are reviewed: an ejected endpoint whose time is up returns at the first review
    /// after it (Envoy's interval timer).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The ejection time of a first ejection; each further ejection multiplies it.</summary>
    public TimeSpan BaseEjectionTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest an ejection lasts (Envoy default 300 s, or the base when that is longer).</summary>
    public TimeSpan MaxEjectionTime { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>The most endpoints, in percent of the cluster, ejected at once (Istio default 10).</summary>
    public int MaxEjectionPercent { get; init; } = 10;

    /// <summary>Envoy's healthy panic threshold: when fewer than this percent of endpoints are healthy, load balancing
    /// ignores ejections and uses every endpoint. 0 (Istio's default) disables panic, so a cluster whose endpoints
    /// are all ejected answers 503 UH.</summary>
    public int MinHealthPercent { get; init; }
}
