using Proxy.Engine.Transport;

namespace Proxy.Engine.Upstream;

/// <summary>
/// One upstream connection (plaintext or originated TLS). Belongs to one endpoint's pool; while leased it carries
/// exactly one HTTP/1.1 request, or one L4 connection for its whole life.
/// </summary>
internal sealed class UpstreamConnection
{
    public UpstreamConnection(ITransportConnection transport, EndpointState endpoint, long createdTimestamp)
    {
        Transport = transport;
        Endpoint = endpoint;
        LastUsedTimestamp = createdTimestamp;
    }

    /// <summary>The socket, or TLS over it when the cluster originates TLS.</summary>
    public ITransportConnection Transport { get; }

    public EndpointState Endpoint { get; }

    /// <summary>Requests carried so far; 0 until the first completes, so a lease knows whether it was reused.</summary>
    public int RequestCount { get; set; }

    /// <summary>When the connection last went idle (TimeProvider timestamp).</summary>
    public long LastUsedTimestamp { get; set; }

    public bool IsReused => RequestCount > 0;

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

    public ValueTask DisposeAsync() => Transport.DisposeAsync();

    public void Abort() => Transport.Abort();
}
