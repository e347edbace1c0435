using Proxy.Engine.Transport;

namespace Proxy.Engine.Upstream;

/// <summary>
/// One upstream connection (plaintext or originated TLS). Belongs to one endpoint's pool; while leased it carries
/// exactly one HTTP/1.1 request, or one L4 connection for its whole life.
/// </summary>
/// <remarks>
/// The connection holds one of its cluster's MaxConnections slots from the start of its connect until
/// <see cref="DisposeAsync"/>, which gives the slot back exactly once however often and from wherever it is called
/// (returned and swept, aborted by its owner, closed by a limit, server stop).
/// </remarks>
internal sealed class UpstreamConnection
{
    private int _disposed;

    public UpstreamConnection(ITransportConnection transport, ClusterState cluster, EndpointState endpoint, long createdTimestamp)
    {
        Transport = transport;
        Cluster = cluster;
        Endpoint = endpoint;
        CreatedTimestamp = createdTimestamp;
        LastUsedTimestamp = createdTimestamp;
    }

    /// <summary>The socket, or TLS over it when the cluster originates TLS.</summary>
    public ITransportConnection Transport { get; }

    /// <summary>The cluster whose circuit breakers count this connection.</summary>
    public ClusterState Cluster { get; }

    public EndpointState Endpoint { get; }

    /// <summary>Requests carried so far (counted by <see cref="UpstreamConnectionPool.Return"/>); 0 until the first
    /// completes, so a lease knows whether it was reused.</summary>
    public int RequestCount { get; set; }

    /// <summary>When the connection was established (TimeProvider timestamp); MaxConnectionDuration counts from here.</summary>
    public long CreatedTimestamp { get; }

    /// <summary>When the connection last went idle (TimeProvider timestamp).</summary>
    public long LastUsedTimestamp { get; set; }

    public bool IsReused => RequestCount > 0;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// An idle connection is usable only if the upstream has neither closed it nor sent unsolicited bytes. The
    /// receive loop keeps reading while the connection idles, so a FIN or RST shows up as a completed pipe.
    /// </summary>
    public bool IsUsableAfterIdle()
    {
        if (Transport.IsAborted)
        {
            return false;
        }

        if (Transport.Input.TryRead(out var result))
        {
            var usable = !result.IsCompleted && !result.IsCanceled && result.Buffer.IsEmpty;
            Transport.Input.AdvanceTo(result.Buffer.Start);
            return usable;
        }

        return true;
    }

    /// <summary>Closes the connection and frees its slot; only the first call does anything.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return default;
        }

        // The slot is given back before the socket finishes closing (a graceful close may wait for the send loop), as
        // Envoy releases a closed client's resources at once; a request waiting for it may connect now.
        Endpoint.Pool.OnConnectionClosed(this);
        return Transport.DisposeAsync();
    }

    public void Abort() => Transport.Abort();
}
