using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Proxy.Engine.Config;
using Proxy.Engine.Tls;
using Proxy.Engine.Upstream.LoadBalancing;

namespace Proxy.Engine.Upstream;

/// <summary>
/// Live state of a cluster: endpoint pools, load-balancing state and outlier detection. Built once per published config;
/// the ring hash or Maglev table and the scheduler live in a <see cref="PickTable"/>, so a pick reads immutable tables (or
/// takes the scheduler's short lock). Outlier detection swaps in a table over the healthy endpoints when it ejects or
/// returns one.
/// </summary>
internal sealed partial class ClusterState
{
    /// <summary>
    /// Envoy's <c>host_selection_retry_max_attempts</c> as Istio sets it on every retry policy (with the
    /// <c>previous_hosts</c> predicate): a retry's pick is redone up to this many times while it lands on an endpoint
    /// already tried, so up to 1 + 5 picks in all (<c>LoadBalancerBase::chooseHost</c>: <c>hostSelectionRetryCount() + 1</c>).
    /// </summary>
    internal const int HostSelectionRetryMaxAttempts = 5;

    private readonly EndpointState[] _endpoints;
    private int _roundRobin = -1;

    private readonly RequestHasher? _hasher;

    // The table over every endpoint, and the one picks read now: the same object unless outlier detection has ejected an
    // endpoint (and the cluster is not in panic). Replaced only under the detector's lock.
    private readonly PickTable _allEndpoints;
    private volatile PickTable _pickTable;
    private readonly OutlierDetector? _outlierDetector;

    private readonly long _slowStartWindow;
    private readonly long _slowStartEnd = long.MinValue;

    private readonly ProxyStatistics _statistics;
    private readonly ILogger _logger;

    public ClusterState(ClusterConfig config, TimeProvider timeProvider, ProxyStatistics? statistics = null, ILogger? logger = null)
        : this(config, timeProvider, statistics, logger, previous: null)
    {
    }

    /// <summary>
    /// Builds the state of <paramref name="config"/>. With <paramref name="previous"/>, the state this one replaces for
    /// the same cluster (a config reload), endpoints that were already there (same address and port) keep when they
    /// joined, and endpoints that were not join now: with <see cref="ClusterConfig.SlowStart"/> they warm up. Without
    /// it the cluster is new and its endpoints all started together, so none warms up.
    /// </summary>
    internal ClusterState(ClusterConfig config, TimeProvider timeProvider, ProxyStatistics? statistics, ILogger? logger, ClusterState? previous)
    {
        if (previous is not null && !string.Equals(previous.Config.Name, config.Name, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Cluster {config.Name} cannot carry state over from cluster {previous.Config.Name}.", nameof(previous));
        }

        Config = config;
        TimeProvider = timeProvider;
        _statistics = statistics ?? new ProxyStatistics();
        _logger = logger ?? NullLogger.Instance;
        Tls = config.Tls is { } tls ? new UpstreamTlsContext(tls) : null;
        _endpoints = CreateEndpoints(config, previous, timeProvider.GetTimestamp());

        if (config.LoadBalancing is LoadBalancingPolicy.RingHash or LoadBalancingPolicy.Maglev && config.HashPolicy is { } hashPolicy)
        {
            _hasher = new RequestHasher(hashPolicy);
        }

        if (config.LoadBalancing is LoadBalancingPolicy.RoundRobin or LoadBalancingPolicy.LeastRequest && config.SlowStart is { Window.Ticks: > 0 } slowStart)
        {
            _slowStartWindow = (long)(slowStart.Window.TotalSeconds * timeProvider.TimestampFrequency);
            foreach (var endpoint in _endpoints)
            {
                if (endpoint.WarmupStarted is { } started)
                {
                    _slowStartEnd = Math.Max(_slowStartEnd, started + _slowStartWindow);
                }
            }
        }

        _allEndpoints = CreatePickTable(_endpoints);
        _pickTable = _allEndpoints;
        if (config.OutlierDetection is { } outlierDetection)
        {
            _outlierDetector = new OutlierDetector(this, outlierDetection, _statistics, _logger);
            foreach (var endpoint in _endpoints)
            {
                endpoint.AttachOutlierDetector(_outlierDetector);
            }
        }
    }

    public ClusterConfig Config { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary>TLS origination, when the cluster's endpoints are reached over TLS.</summary>
    public UpstreamTlsContext? Tls { get; }

    public void OnTlsHandshakeCompleted() => Interlocked.Increment(ref _statistics.UpstreamTlsHandshakes);

    public void OnTlsHandshakeFailed(EndpointState endpoint, string? reason)
    {
        Interlocked.Increment(ref _statistics.UpstreamTlsHandshakeFailures);
        Log.UpstreamTlsFailed(_logger, Config.Name, endpoint, reason);
    }

    public ReadOnlySpan<EndpointState> Endpoints => _endpoints;

    /// <summary>The outlier detector, or null when the cluster has no outlier detection.</summary>
    internal OutlierDetector? OutlierDetector => _outlierDetector;

    /// <summary>The ring picks read now (built over the endpoints that may be picked).</summary>
    internal RingHashTable? Ring => _pickTable.Ring;

    /// <summary>The Maglev table picks read now (built over the endpoints that may be picked).</summary>
    internal MaglevTable? Maglev => _pickTable.Maglev;

    /// <summary>The endpoints picks choose among now: all of them, or the healthy ones while outlier detection has ejected
    /// some and the cluster is not in panic.</summary>
    internal ReadOnlySpan<EndpointState> PickableEndpoints => _pickTable.Endpoints;

    /// <summary>Chooses an endpoint for a request or an L4 connection by the cluster's policy, among the endpoints not
    /// ejected by outlier detection; hash policies read their key from <paramref name="context"/>. The pick's endpoint is
    /// null when the cluster has none, or none healthy and no panic (503 UH).</summary>
    public EndpointPick PickEndpoint(in LoadBalancerContext context) => PickEndpoint(context, default);

    /// <summary>
    /// As <see cref="PickEndpoint(in LoadBalancerContext)"/>, for a retry: a pick that lands on an endpoint in
    /// <paramref name="avoid"/> (those already tried) is redone, up to <see cref="HostSelectionRetryMaxAttempts"/> times,
    /// and the last pick is kept when every one was avoided (Envoy's <c>previous_hosts</c> retry host predicate, which
    /// does not guarantee another endpoint). Null entries in <paramref name="avoid"/> are ignored.
    /// </summary>
    public EndpointPick PickEndpoint(in LoadBalancerContext context, ReadOnlySpan<EndpointState?> avoid)
    {
        var table = _pickTable;
        var retries = avoid.IsEmpty ? 0 : HostSelectionRetryMaxAttempts;
        if (table.Ring is null && table.Maglev is null)
        {
            var picked = PickOnce(table);
            for (var attempt = 1; attempt <= retries && picked is not null && Contains(avoid, picked); attempt++)
            {
                picked = PickOnce(table);
            }

            return new(picked, null);
        }

        if (table.Endpoints.Length == 0)
        {
            return default;
        }

        // Envoy computes the hash (issuing a cookie if the policy says so) once, before choosing; a request without a
        // key hashes to a random point (ThreadAwareLoadBalancerBase::LoadBalancerImpl::chooseHost). A redone pick moves
        // along the ring or mutates the hash for the Maglev table (the tables' Pick with an attempt number).
        byte[]? setCookie = null;
        if (_hasher is null || !_hasher.TryHash(context, out var hash, out setCookie))
        {
            hash = RandomHash();
        }

        var endpoint = table.Endpoints[table.Ring?.Pick(hash) ?? table.Maglev!.Pick(hash)];
        for (var attempt = 1; attempt <= retries && Contains(avoid, endpoint); attempt++)
        {
            endpoint = table.Endpoints[table.Ring?.Pick(hash, attempt) ?? table.Maglev!.Pick(hash, attempt)];
        }

        return new(endpoint, setCookie);
    }

    /// <summary>Chooses an endpoint without a request (no hash key, so hash policies pick at random) among the endpoints
    /// not ejected; null when the cluster has none, or none healthy and no panic (503 UH).</summary>
    public EndpointState? PickEndpoint() => PickOnce(_pickTable);

    /// <summary>The heartbeat (every second): sweeps idle upstream connections, and reviews outlier ejections when the
    /// detector's interval has passed since its last review.</summary>
    public void Sweep(long now)
    {
        foreach (var endpoint in _endpoints)
        {
            endpoint.Pool.Sweep(now, TimeProvider, Config.IdleTimeout);
        }

        _outlierDetector?.OnHeartbeat(now);
    }

    public void CloseIdleConnections()
    {
        foreach (var endpoint in _endpoints)
        {
            endpoint.Pool.CloseAll();
        }
    }

    /// <summary>
    /// Publishes the table picks read after an endpoint was ejected or returned (called by the detector under its lock,
    /// so rebuilds do not race). Envoy's load balancer then chooses among the healthy hosts, unless fewer than the
    /// healthy panic threshold (<see cref="OutlierDetectionConfig.MinHealthPercent"/>) percent of the hosts are healthy:
    /// then among all of them (<c>LoadBalancerBase::isHostSetInPanic</c>: <c>100 * healthy / hosts &lt; threshold</c>).
    /// With the threshold 0 and every endpoint ejected the table is empty and the pick null (503 UH).
    /// </summary>
    internal void OnEndpointHealthChanged()
    {
        var healthy = 0;
        foreach (var endpoint in _endpoints)
        {
            healthy += endpoint.IsEjected ? 0 : 1;
        }

        var panicThreshold = Math.Min(100, Config.OutlierDetection?.MinHealthPercent ?? 0);
        if (healthy == _endpoints.Length || 100.0 * healthy / _endpoints.Length < panicThreshold)
        {
            _pickTable = _allEndpoints;
            return;
        }

        var healthyEndpoints = new EndpointState[healthy];
        var next = 0;
        foreach (var endpoint in _endpoints)
        {
            if (!endpoint.IsEjected)
            {
                healthyEndpoints[next++] = endpoint;
            }
        }

        _pickTable = CreatePickTable(healthyEndpoints);
    }

    private PickTable CreatePickTable(EndpointState[] endpoints) => new(endpoints, Config, _slowStartEnd != long.MinValue, SchedulingWeight);

    private EndpointState? PickOnce(PickTable table)
    {
        var endpoints = table.Endpoints;
        switch (endpoints.Length)
        {
            case 0:
                return null;
            case 1:
                return endpoints[0];
        }

        if (table.Scheduler is { } scheduler && (!table.UniformWeights || TimeProvider.GetTimestamp() < _slowStartEnd))
        {
            return endpoints[scheduler.PickAndAdd(table.SchedulingWeight!)];
        }

        switch (Config.LoadBalancing)
        {
            case LoadBalancingPolicy.RoundRobin:
                return endpoints[(int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)endpoints.Length)];

            case LoadBalancingPolicy.Random:
                return RandomEndpoint(table);

            case LoadBalancingPolicy.RingHash:
                return endpoints[table.Ring!.Pick(RandomHash())];

            case LoadBalancingPolicy.Maglev:
                return endpoints[table.Maglev!.Pick(RandomHash())];

            default:
                {
                    // Power of two choices (Envoy's LEAST_REQUEST with choice_count 2, equal weights): two random
                    // picks, fewer active requests wins; ties keep the first.
                    var a = RandomEndpoint(table);
                    var b = RandomEndpoint(table);
                    return b.ActiveRequests < a.ActiveRequests ? b : a;
                }
        }
    }

    private static bool Contains(ReadOnlySpan<EndpointState?> endpoints, EndpointState endpoint)
    {
        foreach (var candidate in endpoints)
        {
            if (ReferenceEquals(candidate, endpoint))
            {
                return true;
            }
        }

        return false;
    }

    private static EndpointState[] CreateEndpoints(ClusterConfig config, ClusterState? previous, long now)
    {
        Dictionary<(string, int), long?>? joined = null;
        if (previous is not null)
        {
            joined = new Dictionary<(string, int), long?>(previous._endpoints.Length);
            foreach (var endpoint in previous._endpoints)
            {
                joined.TryAdd((endpoint.Config.Address.ToLowerInvariant(), endpoint.Config.Port), endpoint.WarmupStarted);
            }
        }

        var endpoints = new EndpointState[config.Endpoints.Count];
        for (var i = 0; i < endpoints.Length; i++)
        {
            var endpoint = config.Endpoints[i];
            long? warmupStarted = null;
            if (joined is not null && !joined.TryGetValue((endpoint.Address.ToLowerInvariant(), endpoint.Port), out warmupStarted))
            {
                warmupStarted = now;
            }

            endpoints[i] = new EndpointState(endpoint, warmupStarted);
        }

        return endpoints;
    }

    /// <summary>
    /// An endpoint's weight for the scheduler right now. Least request divides by active requests + 1 (Envoy's
    /// <c>active_request_bias</c> 1.0); an endpoint younger than the slow start window gets Envoy's
    /// <c>weight * max(minimumPercent / 100, timeFactor ^ (1 / aggression))</c>, the time factor counting at least 1 ms.
    /// </summary>
    private double SchedulingWeight(EndpointState endpoint)
    {
        double weight = endpoint.Weight;
        if (Config.LoadBalancing == LoadBalancingPolicy.LeastRequest)
        {
            weight /= Math.Max(endpoint.ActiveRequests, 0) + 1;
        }

        if (endpoint.WarmupStarted is { } started && Config.SlowStart is { } slowStart)
        {
            var age = TimeProvider.GetTimestamp() - started;
            if (age < _slowStartWindow)
            {
                var oneMillisecond = TimeProvider.TimestampFrequency / 1000.0;
                var timeFactor = Math.Max(age, oneMillisecond) / _slowStartWindow;
                var aggression = slowStart.Aggression > 0 ? slowStart.Aggression : 1.0;
                var ramp = aggression == 1.0 ? timeFactor : Math.Pow(timeFactor, 1.0 / aggression);
                weight *= Math.Max(ramp, slowStart.MinimumPercent / 100.0);
            }
        }

        // The scheduler divides by the weight; a zero minimum percent at age zero must not stall it.
        return Math.Max(weight, 1e-9);
    }

    private static EndpointState RandomEndpoint(PickTable table)
    {
        var endpoints = table.Endpoints;
        if (table.UniformWeights)
        {
            return endpoints[Random.Shared.Next(endpoints.Length)];
        }

        // Weighted: the first endpoint whose running weight total exceeds a random draw below the total.
        var cumulative = table.CumulativeWeights;
        var draw = Random.Shared.NextInt64(cumulative[^1]);
        int low = 0, high = cumulative.Length - 1;
        while (low < high)
        {
            var mid = (low + high) >> 1;
            if (cumulative[mid] > draw)
            {
                high = mid;
            }
            else
            {
                low = mid + 1;
            }
        }

        return endpoints[low];
    }

    private static ulong RandomHash() => unchecked((ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue));

    private static partial class Log
    {
        [LoggerMessage(40, LogLevel.Debug, "Cluster {Cluster}: TLS handshake with {Endpoint} failed: {Reason}")]
        public static partial void UpstreamTlsFailed(ILogger logger, string cluster, EndpointState endpoint, string? reason);
    }
}

/// <summary>What a hash policy may read to choose an endpoint.</summary>
/// <param name="Request">The request head (HTTP), or null for an L4 connection.</param>
/// <param name="Remote">The client's address.</param>
/// <param name="Local">The address the client connected to.</param>
internal readonly record struct LoadBalancerContext(Http.HttpRequestHead? Request, System.Net.IPEndPoint? Remote, System.Net.IPEndPoint? Local);

/// <summary>The chosen endpoint, and the value of a <c>set-cookie</c> field to add to the response when a cookie hash
/// policy issued a new cookie (allocated only then).</summary>
internal readonly record struct EndpointPick(EndpointState? Endpoint, byte[]? SetCookie);
