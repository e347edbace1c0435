using System.Net;
using Proxy.Protocols.Http1;

namespace Proxy.Engine.Http;

/// <summary>
/// The rest of an access-log line, as views into the connection's state: valid only during
/// <see cref="IRequestLogSink.OnRequestCompleted"/> (the request head's buffers are reused for the next request), so a
/// sink renders what it needs before it returns. Empty spans and nulls are unset values (Envoy prints <c>-</c>).
/// </summary>
internal readonly ref struct RequestLogFields
{
    /// <summary>An L4 connection's line: no request fields (Envoy prints <c>"- - -" 0</c>).</summary>
    public bool IsTcp { get; init; }

    /// <summary>When the request's first byte arrived (Envoy's %START_TIME%).</summary>
    public DateTimeOffset StartTime { get; init; }

    /// <summary>From the first byte in to the last byte out (Envoy's %DURATION%).</summary>
    public TimeSpan Duration { get; init; }

    public ReadOnlySpan<byte> Method { get; init; }

    /// <summary>The path and query as the client sent them (before a rewrite: Envoy's X-ENVOY-ORIGINAL-PATH?:PATH).</summary>
    public ReadOnlySpan<byte> Path { get; init; }

    public ReadOnlySpan<byte> Query { get; init; }

    public Http1Version Version { get; init; }

    public ResponseCodeDetail Detail { get; init; }

    /// <summary>Request body bytes received from the client.</summary>
    public long BytesReceived { get; init; }

    /// <summary>Response body bytes sent to the client.</summary>
    public long BytesSent { get; init; }

    /// <summary>The client's x-forwarded-for (its first field), to which <see cref="ClientAddress"/> is appended as
    /// on the forwarded request.</summary>
    public ReadOnlySpan<byte> ForwardedFor { get; init; }

    public ReadOnlySpan<byte> ClientAddress { get; init; }

    public ReadOnlySpan<byte> UserAgent { get; init; }

    /// <summary>The x-request-id forwarded: the client's, or the one the proxy generated.</summary>
    public ReadOnlySpan<byte> RequestId { get; init; }

    public ReadOnlySpan<byte> Authority { get; init; }

    /// <summary>The upstream cluster's name, or null when the request was not routed to one.</summary>
    public string? UpstreamCluster { get; init; }

    public IPEndPoint? UpstreamLocalAddress { get; init; }

    public IPEndPoint? DownstreamLocalAddress { get; init; }

    public IPEndPoint? DownstreamRemoteAddress { get; init; }

    /// <summary>The SNI the client sent over TLS, or null.</summary>
    public string? RequestedServerName { get; init; }
}
