namespace Proxy.Engine.Config;

/// <summary>One upstream endpoint: an IP literal or a DNS name resolved when connecting, and a port.</summary>
/// <param name="Address">IPv4/IPv6 literal or DNS host name.</param>
/// <param name="Port">TCP port.</param>
/// <param name="Weight">Relative weight for load balancing (Istio WorkloadEntry weight); default 1.</param>
public sealed record EndpointConfig(string Address, int Port, int Weight = 1)
{
    /// <summary>Workload labels (used by subsets at compile time; informational at run time).</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}
