using Microsoft.Extensions.Logging;
using Proxy.Engine.Config;

namespace Proxy.Engine.Upstream;

/// <summary>
/// A cluster's outlier detector for the consecutive-error checks (Envoy's <c>DetectorImpl</c>,
/// source/common/upstream/outlier_detection_impl.cc; the endpoints count their runs, see EndpointState.Outlier.cs).
/// </summary>
/// <remarks>
/// <para>Ejection: a run that reaches its threshold ejects the endpoint at once, on the reporting thread (Envoy posts it to
/// the main thread), unless <c>100 * (ejected + 1) / endpoints &gt; MaxEjectionPercent</c>: then it counts an overflow.
/// Envoy ejects one host past the percentage only with <c>always_eject_one_host</c>, which Istio does not set, so with the
/// default 10 % a cluster of fewer than 10 endpoints never ejects. Either way the run that fired starts over; a run that
/// fires while the endpoint is already ejected is left alone. The ejection lasts
/// <c>min(BaseEjectionTime * multiplier, max(MaxEjectionTime, BaseEjectionTime))</c>, the multiplier growing by one per
/// ejection while <c>multiplier * base &lt; max + base</c>.</para>
/// <para>Review: every <see cref="OutlierDetectionConfig.Interval"/> ejected endpoints whose time is up return, and an
/// endpoint that returned at least an interval ago and is healthy has its multiplier lowered by one (Envoy
/// <c>onIntervalTimer</c>, <c>checkHostForUneject</c>). The review is driven by the engine's one-second heartbeat
/// (<see cref="ClusterState.Sweep"/>) rather than a timer of its own: the cluster state has no disposal, and is replaced on
/// reload, so a timer would outlive it; the heartbeat lives as long as the server and runs on its
/// <see cref="TimeProvider"/>. Hence an interval shorter than a second is reviewed every second, and a cluster state used
/// without a started server reviews only when something calls <see cref="ClusterState.Sweep"/> or <see cref="Review"/>.</para>
/// <para>Thread-safety: ejections and reviews take one lock (rare events); the pick reads the table the cluster
/// publishes under it without locking.</para>
/// </remarks>
internal sealed partial class OutlierDetector
{
    private readonly Lock _lock = new();
    private readonly ClusterState _cluster;
    private readonly ProxyStatistics _statistics;
    private readonly ILogger _logger;
    private readonly TimeSpan _maxEjectionTime;
    private int _ejected;
    private long _lastReview;

    public OutlierDetector(ClusterState cluster, OutlierDetectionConfig config, ProxyStatistics statistics, ILogger logger)
    {
        _cluster = cluster;
        Config = config;
        _statistics = statistics;
        _logger = logger;

        // Envoy: an unset max_ejection_time is max(300 s, base); a set one below the base is rejected. Our config always
        // has a value (default 300 s), so the larger of the two covers both.
        _maxEjectionTime = config.MaxEjectionTime > config.BaseEjectionTime ? config.MaxEjectionTime : config.BaseEjectionTime;
        Consecutive5xxErrors = config.Consecutive5xxErrors;
        ConsecutiveGatewayErrors = config.ConsecutiveGatewayErrors;
        ConsecutiveLocalOriginFailures = config.ConsecutiveLocalOriginFailures;
        SplitExternalLocalOriginErrors = config.SplitExternalLocalOriginErrors;
        _lastReview = cluster.TimeProvider.GetTimestamp();
    }

    public OutlierDetectionConfig Config { get; }

    // The thresholds, read on every report.
    public int Consecutive5xxErrors { get; }

    public int ConsecutiveGatewayErrors { get; }

    public int ConsecutiveLocalOriginFailures { get; }

    public bool SplitExternalLocalOriginErrors { get; }

    /// <summary>Endpoints ejected now.</summary>
    public int EjectedCount => Volatile.Read(ref _ejected);

    /// <summary>How long an ejection with the given multiplier lasts.</summary>
    public TimeSpan EjectionTime(int multiplier)
        => TimeSpan.FromTicks(Math.Min(Config.BaseEjectionTime.Ticks * multiplier, _maxEjectionTime.Ticks));

    /// <summary>A run of <paramref name="endpoint"/> reached its threshold (Envoy <c>onConsecutiveErrorWorker</c>).</summary>
    public void OnConsecutiveErrors(EndpointState endpoint, OutlierEjectionType type)
    {
        lock (_lock)
        {
            if (endpoint.IsEjected)
            {
                return;
            }

            TryEject(endpoint, type);

            // Envoy resets the run that fired whether or not the ejection happened, so the next full run fires again.
            endpoint.ResetRun(type);
        }
    }

    /// <summary>Called by the heartbeat: reviews ejections when an interval has passed since the last review.</summary>
    public void OnHeartbeat(long now)
    {
        if (_cluster.TimeProvider.GetElapsedTime(Volatile.Read(ref _lastReview), now) >= Config.Interval)
        {
            Review(now);
        }
    }

    /// <summary>Envoy <c>onIntervalTimer</c> for the consecutive-error detectors: returns the endpoints whose ejection time
    /// is up, then lowers the multiplier of each endpoint healthy for at least an interval since it returned.</summary>
    public void Review(long now)
    {
        var time = _cluster.TimeProvider;
        lock (_lock)
        {
            Volatile.Write(ref _lastReview, now);
            var returned = false;
            foreach (var endpoint in _cluster.Endpoints)
            {
                if (endpoint.IsEjected && EjectionTime(endpoint.EjectionTimeMultiplier) <= time.GetElapsedTime(endpoint.LastEjected, now))
                {
                    endpoint.Return(now);
                    _ejected--;
                    returned = true;
                    Log.EndpointReturned(_logger, _cluster.Config.Name, endpoint, time.GetElapsedTime(endpoint.LastEjected, now));
                }
            }

            if (returned)
            {
                _cluster.OnEndpointHealthChanged();
            }

            foreach (var endpoint in _cluster.Endpoints)
            {
                if (!endpoint.IsEjected && endpoint.LastReturned is { } lastReturned && endpoint.EjectionTimeMultiplier > 0
                    && time.GetElapsedTime(lastReturned, now) >= Config.Interval)
                {
                    endpoint.EjectionTimeMultiplier--;
                }
            }
        }
    }

    /// <summary>Envoy <c>ejectHost</c> (every ejection enforced: Istio sets the enforcing percentages to 100).</summary>
    private void TryEject(EndpointState endpoint, OutlierEjectionType type)
    {
        var total = _cluster.Endpoints.Length;
        var maxPercent = Math.Min(100, Config.MaxEjectionPercent);
        if (100.0 * (_ejected + 1) / total > maxPercent)
        {
            Interlocked.Increment(ref _statistics.OutlierEjectionsOverflowed);
            Log.EjectionOverflowed(_logger, _cluster.Config.Name, endpoint, type, _ejected, total, maxPercent);
            return;
        }

        var now = _cluster.TimeProvider.GetTimestamp();
        endpoint.Eject(now);
        _ejected++;
        if (Config.BaseEjectionTime.Ticks * endpoint.EjectionTimeMultiplier < _maxEjectionTime.Ticks + Config.BaseEjectionTime.Ticks)
        {
            endpoint.EjectionTimeMultiplier++;
        }

        Interlocked.Increment(ref _statistics.OutlierEjectionsEnforced);
        _cluster.OnEndpointHealthChanged();
        Log.EndpointEjected(_logger, _cluster.Config.Name, endpoint, type, EjectionTime(endpoint.EjectionTimeMultiplier), endpoint.EjectionCount);
    }

    private static partial class Log
    {
        [LoggerMessage(41, LogLevel.Information, "Cluster {Cluster}: endpoint {Endpoint} ejected by outlier detection ({Detector}) for {EjectionTime} (ejection {Ejections})")]
        public static partial void EndpointEjected(ILogger logger, string cluster, EndpointState endpoint, OutlierEjectionType detector, TimeSpan ejectionTime, int ejections);

        [LoggerMessage(42, LogLevel.Information, "Cluster {Cluster}: endpoint {Endpoint} returned to load balancing after {Ejected} ejected")]
        public static partial void EndpointReturned(ILogger logger, string cluster, EndpointState endpoint, TimeSpan ejected);

        [LoggerMessage(43, LogLevel.Information, "Cluster {Cluster}: endpoint {Endpoint} not ejected ({Detector}): {EjectedCount} of {Total} endpoints are ejected and max ejection percent is {MaxPercent}")]
        public static partial void EjectionOverflowed(ILogger logger, string cluster, EndpointState endpoint, OutlierEjectionType detector, int ejectedCount, int total, int maxPercent);
    }
}
