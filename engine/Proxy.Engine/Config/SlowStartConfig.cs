namespace Proxy.Engine.Config;

/// <summary>
/// Envoy's slow start (Istio <c>loadBalancer.warmup</c> / <c>warmupDurationSecs</c>) for
/// <see cref="LoadBalancingPolicy.RoundRobin"/> and <see cref="LoadBalancingPolicy.LeastRequest"/>: an endpoint that
/// joins a running cluster gets <c>weight * max(MinimumPercent / 100, timeFactor ^ (1 / Aggression))</c> with
/// <c>timeFactor = age / Window</c> until <see cref="Window"/> has passed. Endpoints present when the cluster is first
/// created started together and do not warm up.
/// </summary>
/// <param name="Window">How long a new endpoint warms up.</param>
/// <param name="MinimumPercent">The least share of its weight a warming endpoint gets, in percent (Envoy default 10).</param>
/// <param name="Aggression">How fast traffic ramps: 1 is linear, larger is faster at first (Envoy default 1.0).</param>
public sealed record SlowStartConfig(TimeSpan Window, double MinimumPercent = 10, double Aggression = 1.0);
