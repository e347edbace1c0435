namespace Proxy.Engine.Http;

/// <summary>
/// Envoy's response flags (access log <c>%RESPONSE_FLAGS%</c>, Istio's <c>response_flags</c> metric label): why a
/// request did not get a plain forwarded response. Several can be set at once (<c>UF,URX</c>).
/// </summary>
[Flags]
internal enum ResponseFlags : ushort
{
    None = 0,

    /// <summary>NR: no route matched (404).</summary>
    NoRoute = 1 << 0,

    /// <summary>UH: no healthy upstream endpoint (503).</summary>
    NoHealthyUpstream = 1 << 1,

    /// <summary>UF: the upstream connection could not be made (503).</summary>
    UpstreamConnectionFailure = 1 << 2,

    /// <summary>UO: a circuit breaker overflowed (503 with x-envoy-overloaded), or a retry was refused by MaxRetries.</summary>
    UpstreamOverflow = 1 << 3,

    /// <summary>URX: retries were used up and the last attempt failed.</summary>
    UpstreamRetryLimitExceeded = 1 << 4,

    /// <summary>UT: the route or per-try timeout expired (504).</summary>
    UpstreamRequestTimeout = 1 << 5,

    /// <summary>UC: the upstream closed or reset the connection before a response (503).</summary>
    UpstreamConnectionTermination = 1 << 6,

    /// <summary>DC: the client went away before its response was complete.</summary>
    DownstreamConnectionTermination = 1 << 7,

    /// <summary>FI: a fault abort answered.</summary>
    FaultInjected = 1 << 8,

    /// <summary>DI: a fault delay held the request.</summary>
    DelayInjected = 1 << 9,

    /// <summary>LR: the proxy reset the exchange itself (the response broke off after its head was sent).</summary>
    LocalReset = 1 << 10,

    /// <summary>UPE: the upstream sent an invalid response (502).</summary>
    UpstreamProtocolError = 1 << 11,

    /// <summary>DPE: the request could not be parsed (4xx).</summary>
    DownstreamProtocolError = 1 << 12,
}

internal static class ResponseFlagNames
{
    /// <summary>The longest <see cref="Write"/> can produce: every name, comma separated.</summary>
    public const int MaxLength = 64;

    // Envoy's short names, in Envoy's order of ResponseFlag (stream_info.h) so the joined string matches its logs.
    private static readonly (ResponseFlags Flag, byte[] Name)[] Names =
    [
        (ResponseFlags.NoHealthyUpstream, "UH"u8.ToArray()),
        (ResponseFlags.UpstreamConnectionFailure, "UF"u8.ToArray()),
        (ResponseFlags.UpstreamOverflow, "UO"u8.ToArray()),
        (ResponseFlags.NoRoute, "NR"u8.ToArray()),
        (ResponseFlags.UpstreamRetryLimitExceeded, "URX"u8.ToArray()),
        (ResponseFlags.DownstreamConnectionTermination, "DC"u8.ToArray()),
        (ResponseFlags.LocalReset, "LR"u8.ToArray()),
        (ResponseFlags.UpstreamRequestTimeout, "UT"u8.ToArray()),
        (ResponseFlags.UpstreamConnectionTermination, "UC"u8.ToArray()),
        (ResponseFlags.DelayInjected, "DI"u8.ToArray()),
        (ResponseFlags.FaultInjected, "FI"u8.ToArray()),
        (ResponseFlags.DownstreamProtocolError, "DPE"u8.ToArray()),
        (ResponseFlags.UpstreamProtocolError, "UPE"u8.ToArray()),
    ];

    /// <summary>
    /// Writes Envoy's form into <paramref name="destination"/> (at least <see cref="MaxLength"/> bytes): short names
    /// joined by commas, or <c>-</c> for none. Returns the bytes written; allocates nothing.
    /// </summary>
    public static int Write(ResponseFlags flags, Span<byte> destination)
    {
        if (flags == ResponseFlags.None)
        {
            destination[0] = (byte)'-';
            return 1;
        }

        var written = 0;
        foreach (var (flag, name) in Names)
        {
            if ((flags & flag) == 0)
            {
                continue;
            }

            if (written > 0)
            {
                destination[written++] = (byte)',';
            }

            name.CopyTo(destination[written..]);
            written += name.Length;
        }

        return written;
    }
}
