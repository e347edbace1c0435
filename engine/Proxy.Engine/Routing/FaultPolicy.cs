namespace Proxy.Engine.Routing;

/// <summary>
/// Fault injection for a route (Envoy's fault filter, Istio <c>HTTPFaultInjection</c>): a delay before forwarding
/// (flag DI), then an abort with a status instead of forwarding (flag FI, body <c>fault filter abort</c>), each on a
/// percentage of requests.
/// </summary>
public sealed class FaultPolicy
{
    /// <summary>The fixed delay; null for none.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>Percentage of requests delayed, 0 to 100.</summary>
    public double DelayPercentage { get; init; } = 100;

    /// <summary>The status of the abort reply; null for no abort.</summary>
    public int? AbortStatusCode { get; init; }

    /// <summary>Percentage of requests aborted, 0 to 100.</summary>
    public double AbortPercentage { get; init; } = 100;
}
