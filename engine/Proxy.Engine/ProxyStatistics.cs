namespace Proxy.Engine;

/// <summary>
/// Engine counters since start. Updated with interlocked increments on the connection path (no allocation); read
/// them for tests, logs and the metrics exporter.
/// </summary>
public sealed class ProxyStatistics
{
    internal long DownstreamTlsHandshakes;
    internal long DownstreamTlsNotTls;
    internal long DownstreamTlsBadHello;
    internal long DownstreamTlsNoFilterChain;
    internal long DownstreamTlsHandshakeTimeouts;
    internal long DownstreamTlsHandshakeFailures;
    internal long UpstreamTlsHandshakes;
    internal long UpstreamTlsHandshakeFailures;
    internal long TcpConnectionsOpened;
    internal long TcpConnectionsClosed;
    internal long TcpNoRoute;
    internal long TcpUpstreamConnectFailures;
    internal long TcpIdleTimeouts;
    internal long TcpBytesReceived;
    internal long TcpBytesSent;
    internal long FaultDelaysInjected;
    internal long FaultAbortsInjected;
    internal long MirrorRequestsSent;
    internal long MirrorRequestsFailed;
    internal long MirrorRequestsDropped;
    internal long MirrorRequestsSkipped;
    internal long HttpRequestHeaderTimeouts;
    internal long HttpIdleTimeouts;
    internal long HttpRouteTimeouts;
    internal long UpstreamRetries;
    internal long UpstreamRetriesExhausted;
    internal long UpstreamRetryOverflows;
    internal long UpstreamPerTryTimeouts;
    internal long UpstreamPendingOverflows;
    internal long UpstreamRequestOverflows;
    internal long UpstreamConnectionOverflows;
    internal long TcpConnectionOverflows;
    internal long UpstreamMaxRequestsClosed;
    internal long UpstreamMaxDurationClosed;
    internal long OutlierEjectionsEnforced;
    internal long OutlierEjectionsOverflowed;
    internal long UpstreamConnectFailuresCount;
    internal long UpstreamResetsCount;
    internal long UpstreamProtocolErrorsCount;
    internal long UpstreamResponsesIncomplete;
    internal long DownstreamDisconnectsCount;
    internal long UpstreamConnectionsOpenGauge;

    /// <summary>Downstream TLS handshakes completed (terminated chains).</summary>
    public long TlsHandshakes => Volatile.Read(ref DownstreamTlsHandshakes);

    /// <summary>Connections to a TLS listener whose first bytes were not a TLS handshake record.</summary>
    public long TlsNotTls => Volatile.Read(ref DownstreamTlsNotTls);

    /// <summary>Connections whose ClientHello was malformed, truncated (closed early) or too large.</summary>
    public long TlsBadHello => Volatile.Read(ref DownstreamTlsBadHello);

    /// <summary>Connections whose SNI matched no filter chain.</summary>
    public long TlsNoFilterChain => Volatile.Read(ref DownstreamTlsNoFilterChain);

    /// <summary>Connections closed because the handshake (ClientHello included) did not finish in time.</summary>
    public long TlsHandshakeTimeouts => Volatile.Read(ref DownstreamTlsHandshakeTimeouts);

    /// <summary>Terminating handshakes that failed (bad client certificate, no shared cipher or version, ...).</summary>
    public long TlsHandshakeFailures => Volatile.Read(ref DownstreamTlsHandshakeFailures);

    /// <summary>Every downstream TLS error: not TLS, bad hello, no chain, timeout, handshake failure.</summary>
    public long TlsErrors => TlsNotTls + TlsBadHello + TlsNoFilterChain + TlsHandshakeTimeouts + TlsHandshakeFailures;

    /// <summary>TLS handshakes completed to upstreams (origination).</summary>
    public long UpstreamTlsHandshakesCompleted => Volatile.Read(ref UpstreamTlsHandshakes);

    /// <summary>TLS handshakes to upstreams that failed (verification, protocol) or timed out.</summary>
    public long UpstreamTlsHandshakeErrors => Volatile.Read(ref UpstreamTlsHandshakeFailures);

    /// <summary>Downstream L4 connections accepted by a TCP route (plain TCP, passthrough, terminated TCP).</summary>
    public long TcpOpened => Volatile.Read(ref TcpConnectionsOpened);

    /// <summary>Downstream L4 connections closed.</summary>
    public long TcpClosed => Volatile.Read(ref TcpConnectionsClosed);

    /// <summary>L4 connections closed because no route matched.</summary>
    public long TcpNoRouteCount => Volatile.Read(ref TcpNoRoute);

    /// <summary>L4 connections closed because no upstream endpoint could be connected.</summary>
    public long TcpConnectFailures => Volatile.Read(ref TcpUpstreamConnectFailures);

    /// <summary>L4 connections closed by the idle timeout.</summary>
    public long TcpIdleTimeoutCount => Volatile.Read(ref TcpIdleTimeouts);

    /// <summary>Bytes L4 connections received from downstream clients.</summary>
    public long TcpReceivedBytes => Volatile.Read(ref TcpBytesReceived);

    /// <summary>Bytes L4 connections sent to downstream clients.</summary>
    public long TcpSentBytes => Volatile.Read(ref TcpBytesSent);

    /// <summary>Requests held back by a route's fault delay (Envoy flag DI).</summary>
    public long FaultDelays => Volatile.Read(ref FaultDelaysInjected);

    /// <summary>Requests answered by a route's fault abort (Envoy flag FI).</summary>
    public long FaultAborts => Volatile.Read(ref FaultAbortsInjected);

    /// <summary>Mirror copies started (each copy of each mirror policy that fired).</summary>
    public long MirrorsSent => Volatile.Read(ref MirrorRequestsSent);

    /// <summary>Mirror copies that got no complete response: no endpoint, connect failure, reset, deadline, server stop.</summary>
    public long MirrorsFailed => Volatile.Read(ref MirrorRequestsFailed);

    /// <summary>Mirror copies not sent because the server's cap on mirrors in flight was reached.</summary>
    public long MirrorsDropped => Volatile.Read(ref MirrorRequestsDropped);

    /// <summary>Mirror copies not sent because the request's body cannot be copied (chunked, or over 64 KiB) or the
    /// request upgrades the connection.</summary>
    public long MirrorsSkipped => Volatile.Read(ref MirrorRequestsSkipped);

    /// <summary>HTTP requests answered 408 because their head did not arrive within the listener's request-headers
    /// timeout (Envoy: downstream_rq_header_timeout).</summary>
    public long RequestHeaderTimeouts => Volatile.Read(ref HttpRequestHeaderTimeouts);

    /// <summary>Keep-alive HTTP connections closed by the listener's idle timeout (Envoy: downstream_cx_idle_timeout).</summary>
    public long HttpIdleTimeoutCount => Volatile.Read(ref HttpIdleTimeouts);

    /// <summary>Requests whose route timeout expired (Envoy flag UT): answered 504, or cut off if the response had
    /// started (Envoy: upstream_rq_timeout).</summary>
    public long RouteTimeouts => Volatile.Read(ref HttpRouteTimeouts);

    /// <summary>Retries made (Envoy: upstream_rq_retry).</summary>
    public long Retries => Volatile.Read(ref UpstreamRetries);

    /// <summary>Requests whose retries were used up while the last attempt still failed (flag URX; Envoy:
    /// upstream_rq_retry_limit_exceeded).</summary>
    public long RetriesExhausted => Volatile.Read(ref UpstreamRetriesExhausted);

    /// <summary>Retries not made because the cluster's MaxRetries circuit breaker was full (flag UO; Envoy:
    /// upstream_rq_retry_overflow).</summary>
    public long RetryOverflows => Volatile.Read(ref UpstreamRetryOverflows);

    /// <summary>Attempts cut off by the retry policy's per-try timeout (Envoy: upstream_rq_per_try_timeout).</summary>
    public long PerTryTimeouts => Volatile.Read(ref UpstreamPerTryTimeouts);

    /// <summary>Requests refused because the MaxPendingRequests circuit breaker was full (503 UO; Envoy:
    /// upstream_rq_pending_overflow).</summary>
    public long PendingOverflows => Volatile.Read(ref UpstreamPendingOverflows);

    /// <summary>Requests refused because the MaxRequests circuit breaker was full (503 UO).</summary>
    public long RequestOverflows => Volatile.Read(ref UpstreamRequestOverflows);

    /// <summary>Times a request found the MaxConnections circuit breaker full and had to wait (Envoy: upstream_cx_overflow).</summary>
    public long ConnectionOverflows => Volatile.Read(ref UpstreamConnectionOverflows);

    /// <summary>L4 connections refused because the cluster's MaxConnections circuit breaker was full (flag UO).</summary>
    public long TcpOverflows => Volatile.Read(ref TcpConnectionOverflows);

    /// <summary>Upstream connections closed after MaxRequestsPerConnection requests (Envoy: upstream_cx_max_requests).</summary>
    public long MaxRequestsClosed => Volatile.Read(ref UpstreamMaxRequestsClosed);

    /// <summary>Upstream connections closed after MaxConnectionDuration (Envoy: upstream_cx_max_duration_reached).</summary>
    public long MaxDurationClosed => Volatile.Read(ref UpstreamMaxDurationClosed);

    /// <summary>Endpoints ejected by outlier detection (Envoy: outlier_detection.ejections_enforced_total).</summary>
    public long OutlierEjections => Volatile.Read(ref OutlierEjectionsEnforced);

    /// <summary>Ejections not made because MaxEjectionPercent was reached (Envoy: outlier_detection.ejections_overflow).</summary>
    public long OutlierEjectionOverflows => Volatile.Read(ref OutlierEjectionsOverflowed);

    /// <summary>Upstream HTTP attempts whose connection could not be made (flag UF).</summary>
    public long UpstreamConnectFailures => Volatile.Read(ref UpstreamConnectFailuresCount);

    /// <summary>Upstream HTTP attempts the upstream closed or reset before a complete response head (flag UC).</summary>
    public long UpstreamResets => Volatile.Read(ref UpstreamResetsCount);

    /// <summary>Upstream responses with an invalid head (flag UPE).</summary>
    public long UpstreamProtocolErrors => Volatile.Read(ref UpstreamProtocolErrorsCount);

    /// <summary>Responses the upstream broke off mid-body (the client connection is closed).</summary>
    public long UpstreamIncompleteResponses => Volatile.Read(ref UpstreamResponsesIncomplete);

    /// <summary>Upstream connections open right now (connecting, busy or pooled), HTTP and L4, across every cluster.</summary>
    public long UpstreamConnectionsOpen => Volatile.Read(ref UpstreamConnectionsOpenGauge);

    /// <summary>Requests the client abandoned before their response was complete (flag DC).</summary>
    public long DownstreamDisconnects => Volatile.Read(ref DownstreamDisconnectsCount);
}
