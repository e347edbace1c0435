using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Proxy.Engine.Config;
using Proxy.Engine.Tls;

namespace Proxy.Engine.Upstream;

/// <summary>Live state of a cluster: endpoint pools and load-balancing state.</summary>
internal sealed partial class ClusterState
{
    private readonly EndpointState[] _endpoints;
    private readonly int[] _weightedIndex;
    private readonly bool _uniformWeights;
    private int _roundRobin = -1;

    private readonly ProxyStatistics _statistics;
    private readonly ILogger _logger;

    public ClusterState(ClusterConfig config, TimeProvider timeProvider, ProxyStatistics? statistics = null, ILogger? logger = null)
    {
        Config = config;
        TimeProvider = timeProvider;
        _statistics = statistics ?? new ProxyStatistics();
        _logger = logger ?? NullLogger.Instance;
        Tls = config.Tls is { } tls ? new UpstreamTlsContext(tls) : null;
        _endpoints = new EndpointState[config.Endpoints.Count];
        var uniform = true;
        for (var i = 0; i < _endpoints.Length; i++)
        {
            _endpoints[i] = new EndpointState(config.Endpoints[i]);
            uniform &= config.Endpoints[i].Weight == config.Endpoints[0].Weight;
        }

        _uniformWeights = uniform;
        _weightedIndex = uniform ? [] : BuildWeightedIndex(_endpoints);
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

    /// <summary>Chooses an endpoint for a request or an L4 connection by the cluster's policy; hash policies read their key
    /// from <paramref name="context"/>. The pick's endpoint is null when the cluster has none (503 UH).</summary>
    public EndpointPick PickEndpoint(in LoadBalancerContext context) => new(PickEndpoint(), null);

    /// <summary>Chooses an endpoint without a request (no hash key); null when the cluster has none (503 UH).</summary>
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

        switch (Config.LoadBalancing)
        {
            case LoadBalancingPolicy.RoundRobin:
                {
                    var next = (uint)Interlocked.Increment(ref _roundRobin);
                    return _uniformWeights
                        ? endpoints[(int)(next % (uint)endpoints.Length)]
                        : endpoints[_weightedIndex[(int)(next % (uint)_weightedIndex.Length)]];
                }

            case LoadBalancingPolicy.Random:
                return RandomEndpoint();

            default:
                {
                    // Power of two choices (Envoy's LEAST_REQUEST with choice_count 2): two random picks, fewer
                    // active requests wins; ties keep the first.
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

    private EndpointState RandomEndpoint()
    {
        if (_uniformWeights)
        {
            return _endpoints[Random.Shared.Next(_endpoints.Length)];
        }

        return _endpoints[_weightedIndex[Random.Shared.Next(_weightedIndex.Length)]];
    }

    private static int[] BuildWeightedIndex(EndpointState[] endpoints)
    {
        // Expand weights into a lookup table reduced by their GCD so a pick stays O(1).
        var gcd = 0;
        foreach (var e in endpoints)
        {
            gcd = Gcd(gcd, Math.Max(e.Config.Weight, 0));
        }

        gcd = Math.Max(gcd, 1);
        var table = new List<int>();
        for (var i = 0; i < endpoints.Length; i++)
        {
            var slots = Math.Max(endpoints[i].Config.Weight, 0) / gcd;
            for (var s = 0; s < slots && table.Count < 65536; s++)
            {
                table.Add(i);
            }
        }

        return table.Count == 0 ? [.. Enumerable.Range(0, endpoints.Length)] : [.. table];
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

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
