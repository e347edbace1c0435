namespace Proxy.Engine;

/// <summary>What serves an accepted connection once its protocol is known (HTTP/1.1 or an L4 pump).</summary>
internal interface IConnectionHandler
{
    /// <summary>Close after the current exchange (HTTP) or leave the connection to the stop deadline (L4, as Envoy).</summary>
    void Drain();

    /// <summary>Stop now: abort upstream work and wake every wait. The owner aborts the downstream transport.</summary>
    void Abort();

    /// <summary>Called once a second by the server's heartbeat with the current TimeProvider timestamp.</summary>
    void OnHeartbeat(long now);
}
