#pragma warning disable CA1822 // Stub until the circuit breakers land.
namespace Proxy.Engine.Upstream;

// Circuit breakers (CircuitBreakerThresholds): counts of what the cluster holds across its endpoints.
internal sealed partial class ClusterState
{
    /// <summary>Claims a request slot (MaxRequests) for one upstream attempt; false on overflow (503 UO).</summary>
    public bool TryStartRequest() => true;

    /// <summary>Frees the slot <see cref="TryStartRequest"/> claimed.</summary>
    public void FinishRequest()
    {
    }

    /// <summary>Claims a retry slot (MaxRetries); false when the retry must not be made (flag UO).</summary>
    public bool TryStartRetry() => true;

    /// <summary>Frees the slot <see cref="TryStartRetry"/> claimed, when the retried attempt ends.</summary>
    public void FinishRetry()
    {
    }
}
