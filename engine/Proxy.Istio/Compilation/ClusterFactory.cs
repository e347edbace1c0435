using System.Globalization;
using Proxy.Engine.Config;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;

namespace Proxy.Istio.Compilation;

/// <summary>
/// Builds Istio-named clusters <c>outbound|port|subset|host</c>, one instance per name however many routes use it.
/// </summary>
internal sealed class ClusterFactory
{
    // Istio defaults (DESIGN.md): 10 s connect timeout, 1 h idle timeout, LEAST_REQUEST.
    private static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromHours(1);

    private readonly Dictionary<string, ClusterConfig> _clusters = new(StringComparer.Ordinal);
    private readonly Diagnostics _diagnostics;
    private readonly UpstreamTlsFactory _tls;

    public ClusterFactory(Diagnostics diagnostics, UpstreamTlsFactory tls)
    {
        _diagnostics = diagnostics;
        _tls = tls;
    }

    public static string Name(int port, string? subset, string host) =>
        string.Create(CultureInfo.InvariantCulture, $"outbound|{port}|{subset}|{host}");

    /// <summary>The cluster for a service port and subset; <paramref name="usedAt"/> locates the "selects no endpoints" warning.</summary>
    public ClusterConfig Get(ServiceRegistration service, ServicePortConfig port, SubsetConfig? subset, MergedDestinationRule? rule, SourceLocation usedAt, string subsetPath)
    {
        var name = Name(port.Number, subset?.Name, service.Host.Qualified);
        if (_clusters.TryGetValue(name, out var existing))
        {
            return existing;
        }

        var endpoints = Endpoints(service, port, subset);
        if (subset is not null && endpoints.Count == 0 && service.Entry.Endpoints.Count > 0)
        {
            _diagnostics.Warning(usedAt, subsetPath,
                $"subset \"{subset.Name}\" selects no endpoints of {service.Entry.Meta.Ref} (requests get 503)");
        }

        var policy = EffectivePolicy(rule?.Policy, subset?.TrafficPolicy, port.Number);
        var loadBalancer = policy?.LoadBalancer;
        var pool = policy?.ConnectionPool;

        // For an HTTP pool the HTTP idle timeout is the one that governs keep-alive connections; tcp.idleTimeout
        // applies when only it is set. Istio/Envoy read 0 as "no idle timeout".
        var idle = pool?.HttpIdleTimeout ?? pool?.TcpIdleTimeout ?? DefaultIdleTimeout;
        var cluster = new ClusterConfig
        {
            Name = name,
            Endpoints = endpoints,
            LoadBalancing = loadBalancer?.Policy ?? LoadBalancingPolicy.LeastRequest,
            HashPolicy = loadBalancer?.HashKey,
            MinimumRingSize = loadBalancer?.MinimumRingSize ?? ClusterConfig.DefaultMinimumRingSize,
            MaglevTableSize = loadBalancer?.MaglevTableSize ?? ClusterConfig.DefaultMaglevTableSize,
            SlowStart = loadBalancer?.Warmup,
            ConnectTimeout = pool?.ConnectTimeout ?? DefaultConnectTimeout,
            IdleTimeout = idle == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : idle,
            CircuitBreakers = CircuitBreakers(pool),

            // applyConnectionPool passes maxRequestsPerConnection on only when above 0, so 0 stays unlimited.
            MaxRequestsPerConnection = pool?.MaxRequestsPerConnection ?? 0,
            MaxConnectionDuration = pool?.MaxConnectionDuration,
            TcpKeepAlive = pool?.TcpKeepAlive,
            OutlierDetection = policy?.OutlierDetection,
            Tls = policy?.Tls is { } tls ? _tls.Create(tls, service) : null,
        };
        _clusters.Add(name, cluster);
        return cluster;
    }

    /// <summary>
    /// The policy for one cluster, as Istio's MergeSubsetTrafficPolicy computes it: a <c>portLevelSettings</c> entry
    /// for the service port replaces its policy wholesale (omitted fields fall back to defaults, not to the enclosing
    /// policy); then the subset's policy overrides the rule's field by field, or wholesale when the subset has an
    /// entry for the port.
    /// </summary>
    internal static TrafficPolicyConfig? EffectivePolicy(TrafficPolicyConfig? rule, TrafficPolicyConfig? subset, int port)
    {
        var original = ForPort(rule, port, out _);
        if (subset is null)
        {
            return original;
        }

        var overriding = ForPort(subset, port, out var portLevel)!;
        if (original is null || portLevel)
        {
            return overriding;
        }

        return new TrafficPolicyConfig(
            overriding.LoadBalancer ?? original.LoadBalancer,
            overriding.ConnectionPool ?? original.ConnectionPool,
            overriding.Tls ?? original.Tls)
        {
            OutlierDetection = overriding.OutlierDetection ?? original.OutlierDetection,
        };
    }

    /// <summary>
    /// Istio applyConnectionPool: Envoy's circuit breakers start at Istio's unlimited defaults (2^32-1) and take each
    /// limit that is above 0 ("FIXME: zero is a valid value if explicitly set, otherwise we want to use the
    /// default"), so 0 means unlimited.
    /// </summary>
    private static CircuitBreakerThresholds CircuitBreakers(ConnectionPoolConfig? pool)
    {
        if (pool is null)
        {
            return CircuitBreakerThresholds.Unlimited;
        }

        var thresholds = new CircuitBreakerThresholds
        {
            MaxConnections = Limit(pool.MaxConnections),
            MaxPendingRequests = Limit(pool.Http1MaxPendingRequests),
            MaxRequests = Limit(pool.Http2MaxRequests),
            MaxRetries = Limit(pool.MaxRetries),
        };
        return thresholds == CircuitBreakerThresholds.Unlimited ? CircuitBreakerThresholds.Unlimited : thresholds;

        static int Limit(int? value) => value > 0 ? value.Value : int.MaxValue;
    }

    private static TrafficPolicyConfig? ForPort(TrafficPolicyConfig? policy, int port, out bool portLevel)
    {
        var entry = policy?.PortLevelSettings?.FirstOrDefault(p => p.Port == port);
        portLevel = entry is not null;
        return entry?.Policy ?? policy;
    }

    private static List<EndpointConfig> Endpoints(ServiceRegistration service, ServicePortConfig port, SubsetConfig? subset)
    {
        var entry = service.Entry;
        var endpoints = new List<EndpointConfig>();
        switch (entry.Resolution)
        {
            case ServiceResolution.None:
                return endpoints;
            case ServiceResolution.Dns or ServiceResolution.DnsRoundRobin when entry.Endpoints.Count == 0:
                // "If endpoints are not specified, the proxy resolves the DNS address specified in the hosts field."
                if (subset is null || subset.Labels.Count == 0)
                {
                    endpoints.Add(new EndpointConfig(service.Host.Raw, port.TargetPort ?? port.Number));
                }

                return endpoints;
        }

        foreach (var endpoint in entry.Endpoints)
        {
            if (subset is not null && !Includes(endpoint.Labels, subset.Labels))
            {
                continue;
            }

            // endpoint.ports[name] overrides targetPort, which overrides the service port.
            var targetPort = endpoint.Ports.TryGetValue(port.Name, out var mapped) ? mapped : port.TargetPort ?? port.Number;
            endpoints.Add(new EndpointConfig(endpoint.Address, targetPort, endpoint.Weight) { Labels = endpoint.Labels });
        }

        return endpoints;
    }

    internal static bool Includes(IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> required)
    {
        foreach (var (key, value) in required)
        {
            if (!labels.TryGetValue(key, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
