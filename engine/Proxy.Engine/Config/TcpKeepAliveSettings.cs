namespace Proxy.Engine.Config;

/// <summary>
/// TCP keep-alive probes on upstream connections (Istio <c>connectionPool.tcp.tcpKeepalive</c>, Envoy
/// <c>upstream_connection_options.tcp_keepalive</c>). Setting it turns SO_KEEPALIVE on; a null field keeps the
/// operating system's value (Linux: 2 h time, 75 s interval, 9 probes).
/// </summary>
/// <param name="Probes">Unanswered probes before the connection is considered dead.</param>
/// <param name="Time">Idle time before the first probe (whole seconds).</param>
/// <param name="Interval">Time between probes (whole seconds).</param>
public sealed record TcpKeepAliveSettings(int? Probes = null, TimeSpan? Time = null, TimeSpan? Interval = null);
