#pragma warning disable CA1822 // Stub until the outlier detector lands.
namespace Proxy.Engine.Upstream;

/// <summary>What happened on an attempt that the upstream did not answer (Envoy's local-origin results).</summary>
internal enum LocalOriginResult : byte
{
    /// <summary>The connection was made (resets the local-origin failure run when errors are split).</summary>
    ConnectSuccess,

    /// <summary>The connection could not be made: refused, unreachable, TLS failure, connect timeout.</summary>
    ConnectFailed,

    /// <summary>The attempt timed out waiting for the response (per-try or route timeout).</summary>
    Timeout,

    /// <summary>The upstream closed or reset the connection, or sent an invalid response head, before a response.</summary>
    Reset,
}

// Outlier detection's per-endpoint side (the detector itself is ClusterState's; see OutlierDetectionConfig).
internal sealed partial class EndpointState
{
    /// <summary>Whether outlier detection has ejected the endpoint from load balancing right now.</summary>
    public bool IsEjected => false;

    /// <summary>Records the status of a response the upstream sent (external origin).</summary>
    public void ReportHttpStatus(int statusCode)
    {
    }

    /// <summary>Records an attempt that ended without an upstream response, or a connection made.</summary>
    public void ReportLocalOrigin(LocalOriginResult result)
    {
    }
}
