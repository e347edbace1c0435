using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Proxy.Engine.Config;
using Proxy.Engine.Tls;
using Proxy.Engine.Upstream.LoadBalancing;

namespace Proxy.Engine.Upstream;

/// <summary>
/// Live state of a cluster: endpoint pools and load-balancing state. Built once per published config; the ring hash or
/// Maglev table and the scheduler live here, so a pick reads immutable tables (or takes the scheduler's short lock).
/// </summary>
internal sealed partial class ClusterState
{
    private readonly EndpointState[] _endpoints;
    private readonly long[] _cumulativeWeights;
    private readonly bool _uniformWeights;
    private int _roundRobin = -1;

    private readonly RequestHasher? _hasher;
    private readonly RingHashTable? _ring;
    private readonly MaglevTable? _maglev;

    // Weighted round robin / least request, and any pick while an endpoint warms up (Envoy's EDF scheduler).
    private readonly EdfScheduler? _scheduler;
    private readonly Func<int, double>? _schedulingWeight;
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

        var uniform = true;
        _cumulativeWeights = new long[_endpoints.Length];
        long total = 0;
        for (var i = 0; i < _endpoints.Length; i++)
        {
            uniform &= _endpoints[i].Weight == _endpoints[0].Weight;
            total += _endpoints[i].Weight;
            _cumulativeWeights[i] = total;
        }

        _uniformWeights = uniform;
        switch (config.LoadBalancing)
        {
            case LoadBalancingPolicy.RingHash:
                _ring = new RingHashTable(_endpoints, config.MinimumRingSize);
                _hasher = config.HashPolicy is { } ringKey ? new RequestHasher(ringKey) : null;
                break;
            case LoadBalancingPolicy.Maglev:
                _maglev = new MaglevTable(_endpoints, config.MaglevTableSize);
                _hasher = config.HashPolicy is { } maglevKey ? new RequestHasher(maglevKey) : null;
                break;
            case LoadBalancingPolicy.RoundRobin or LoadBalancingPolicy.LeastRequest when _endpoints.Length > 1:
                // Envoy (EdfLoadBalancerBase::refresh) skips the scheduler when weights are equal and no endpoint is
                // in slow start: the unweighted picks are then exact round robin and power of two choices.
                if (config.SlowStart is { Window.Ticks: > 0 } slowStart)
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

                if (!uniform || _slowStartEnd != long.MinValue)
                {
                    _schedulingWeight = SchedulingWeight;
                    _scheduler = new EdfScheduler(_endpoints.Length, _schedulingWeight);
                }

                break;
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

    internal RingHashTable? Ring => _ring;

    internal MaglevTable? Maglev => _maglev;

    /// <summary>Chooses an endpoint for a request or an L4 connection by the cluster's policy; hash policies read their key
    /// from <paramref name="context"/>. The pick's endpoint is null when the cluster has none (503 UH).</summary>
    public EndpointPick PickEndpoint(in LoadBalancerContext context)
    {
        if (_ring is null && _maglev is null)
        {
            return new(PickEndpoint(), null);
        }

        if (_endpoints.Length == 0)
        {
            return default;
        }

        // Envoy computes the hash (issuing a cookie if the policy says so) before choosing; a request without a key
        // hashes to a random point (ThreadAwareLoadBalancerBase::LoadBalancerImpl::chooseHost).
        byte[]? setCookie = null;
        if (_hasher is null || !_hasher.TryHash(context, out var hash, out setCookie))
        {
            hash = RandomHash();
        }

        return new(_endpoints[_ring?.Pick(hash) ?? _maglev!.Pick(hash)], setCookie);
    }

    /// <summary>Chooses an endpoint without a request (no hash key, so hash policies pick at random); null when the
    /// cluster has none (503 UH).</summary>
    public EndpointState? PickEndpoint()
    {
        var endpoints = _endpoints;
        switch (endpoints.Length)
        {
            case 0:
                return null;
            case 1:
                return endpoints[0];
        }

        if (_scheduler is not null && (!_uniformWeights || TimeProvider.GetTimestamp() < _slowStartEnd))
        {
            return endpoints[_scheduler.PickAndAdd(_schedulingWeight!)];
        }

        switch (Config.LoadBalancing)
        {
            case LoadBalancingPolicy.RoundRobin:
                return endpoints[(int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)endpoints.Length)];

            case LoadBalancingPolicy.Random:
                return RandomEndpoint();

            case LoadBalancingPolicy.RingHash:
                return endpoints[_ring!.Pick(RandomHash())];

            case LoadBalancingPolicy.Maglev:
                return endpoints[_maglev!.Pick(RandomHash())];

            default:
                {
                    // Power of two choices (Envoy's LEAST_REQUEST with choice_count 2, equal weights): two random
                    // picks, fewer active requests wins; ties keep the first.
                    var a = RandomEndpoint();
                    var b = RandomEndpoint();
                    return b.ActiveRequests < a.ActiveRequests ? b : a;
                }
        }
    }

    public void Sweep(long now)
    {
        foreach (var endpoint in _endpoints)
        {
            endpoint.Pool.Sweep(now, TimeProvider, Config.IdleTimeout);
        }
    }

    public void CloseIdleConnections()
    {
        foreach (var endpoint in _endpoints)
        {
            endpoint.Pool.CloseAll();
        }
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
    private double SchedulingWeight(int index)
    {
        var endpoint = _endpoints[index];
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

    private EndpointState RandomEndpoint()
    {
        if (_uniformWeights)
        {
            return _endpoints[Random.Shared.Next(_endpoints.Length)];
        }

        // Weighted: the first endpoint whose running weight total exceeds a random draw below the total.
        var cumulative = _cumulativeWeights;
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

        return _endpoints[low];
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
