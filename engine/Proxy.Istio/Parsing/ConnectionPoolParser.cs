using System.Globalization;
using Proxy.Engine.Config;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>
/// DestinationRule <c>connectionPool</c> (ConnectionPoolSettings), checked as Istio's validateConnectionPool does:
/// at least one of tcp and http, the int32 limits not negative, durations ValidateDuration (tcp.idleTimeout may be 0,
/// which disables it). The HTTP/2-only settings are accepted and warned about, as upstream connections are HTTP/1.1.
/// </summary>
internal static class ConnectionPoolParser
{
    private static readonly string[] H2UpgradePolicies = ["DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"];

    private const string Http2Only = "has no effect: upstream connections are HTTP/1.1";

    public static ConnectionPoolConfig? Parse(YamlNode? node, string path, NodeReader reader)
    {
        var pool = reader.Mapping(node, path, ["tcp", "http"]);
        if (pool is null)
        {
            return null;
        }

        if (!pool.Has("tcp") && !pool.Has("http"))
        {
            reader.Error(path, "connection pool must have at least one field");
        }

        var tcp = reader.Mapping(pool["tcp"], pool.PathOf("tcp"), ["maxConnections", "connectTimeout", "tcpKeepalive", "maxConnectionDuration", "idleTimeout"]);
        var http = reader.Mapping(pool["http"], pool.PathOf("http"),
            ["http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries", "idleTimeout", "h2UpgradePolicy", "useClientProtocol", "maxConcurrentStreams", "http2KeepAlive"]);

        // validateConnectionPool: connectTimeout and http.idleTimeout pass ValidateDuration (at least 1ms, whole
        // milliseconds); tcp.idleTimeout skips it when its whole milliseconds are 0 ("Skip validation if the value is
        // 0s"), which disables the idle timeout.
        var connect = tcp is null ? null : reader.Duration(tcp["connectTimeout"], tcp.PathOf("connectTimeout"));
        var tcpIdle = tcp is null ? null : TcpIdleTimeout(tcp["idleTimeout"], tcp.PathOf("idleTimeout"), reader);
        var httpIdle = http is null ? null : reader.Duration(http["idleTimeout"], http.PathOf("idleTimeout"));
        if (http is not null)
        {
            CheckHttp2Settings(http, reader);
        }

        return new ConnectionPoolConfig(connect, tcpIdle, httpIdle)
        {
            MaxConnections = NonNegative(tcp, "maxConnections", "max connections", reader),
            TcpKeepAlive = tcp is not null && tcp.Has("tcpKeepalive") ? ParseKeepAlive(tcp["tcpKeepalive"], tcp.PathOf("tcpKeepalive"), reader) : null,
            MaxConnectionDuration = tcp is not null && tcp.Has("maxConnectionDuration") ? reader.Duration(tcp["maxConnectionDuration"], tcp.PathOf("maxConnectionDuration")) : null,
            Http1MaxPendingRequests = NonNegative(http, "http1MaxPendingRequests", "http1 max pending requests", reader),
            Http2MaxRequests = NonNegative(http, "http2MaxRequests", "http2 max requests", reader),
            MaxRequestsPerConnection = NonNegative(http, "maxRequestsPerConnection", "max requests per connection", reader),
            MaxRetries = NonNegative(http, "maxRetries", "max retries", reader),
        };
    }

    /// <summary>
    /// <c>h2UpgradePolicy</c>, <c>useClientProtocol</c>, <c>maxConcurrentStreams</c> and <c>http2KeepAlive</c> only
    /// change HTTP/2 upstream connections (Istio applyConnectionPool sets them on Envoy's http2_protocol_options, or
    /// upgrades the cluster to HTTP/2): validated, and warned about when they ask for HTTP/2 behaviour.
    /// </summary>
    private static void CheckHttp2Settings(Fields http, NodeReader reader)
    {
        var upgrade = reader.Enum(http["h2UpgradePolicy"], http.PathOf("h2UpgradePolicy"), H2UpgradePolicies);
        var useClientProtocol = reader.Bool(http["useClientProtocol"], http.PathOf("useClientProtocol"));
        if (upgrade == "UPGRADE" && useClientProtocol == true)
        {
            reader.Error(http.PathOf("useClientProtocol"), "use client protocol must not be true when H2UpgradePolicy is UPGRADE");
        }
        else if (upgrade == "UPGRADE")
        {
            reader.Warning(http.PathOf("h2UpgradePolicy"), "UPGRADE " + Http2Only);
        }
        else if (useClientProtocol == true)
        {
            reader.Warning(http.PathOf("useClientProtocol"), Http2Only);
        }

        if (NonNegative(http, "maxConcurrentStreams", "max concurrent streams", reader) > 0)
        {
            reader.Warning(http.PathOf("maxConcurrentStreams"), Http2Only);
        }

        if (http.Has("http2KeepAlive"))
        {
            var path = http.PathOf("http2KeepAlive");
            var keepAlive = reader.Mapping(http["http2KeepAlive"], path, ["interval", "timeout"]) ?? new Fields(path);
            foreach (var key in (ReadOnlySpan<string>)["interval", "timeout"])
            {
                if (keepAlive.Has(key))
                {
                    reader.Duration(keepAlive[key], keepAlive.PathOf(key));
                }
                else
                {
                    reader.Error(keepAlive.PathOf(key), $"http2 keepalive {key} is required");
                }
            }

            reader.Warning(path, Http2Only);
        }
    }

    /// <summary>
    /// <c>tcpKeepalive</c>: set (even empty) it turns SO_KEEPALIVE on; probes 0 and unset fields keep the operating
    /// system's values (Istio setKeepAliveSettings). Envoy takes time and interval in whole seconds (Istio passes
    /// the Duration's seconds), so a fraction is dropped.
    /// </summary>
    private static TcpKeepAliveSettings? ParseKeepAlive(YamlNode? node, string path, NodeReader reader)
    {
        var fields = reader.Mapping(node, path, ["probes", "time", "interval"]);
        if (fields is null)
        {
            return null;
        }

        var probes = reader.Int(fields["probes"], fields.PathOf("probes"), 0, int.MaxValue);
        return new TcpKeepAliveSettings(
            probes > 0 ? probes : null,
            WholeSeconds(fields, "time", reader),
            WholeSeconds(fields, "interval", reader));
    }

    private static TimeSpan? WholeSeconds(Fields fields, string key, NodeReader reader)
    {
        if (!fields.Has(key) || reader.Duration(fields[key], fields.PathOf(key)) is not { } value)
        {
            return null;
        }

        var seconds = TimeSpan.FromSeconds(Math.Floor(value.TotalSeconds));
        if (seconds == TimeSpan.Zero)
        {
            reader.Warning(fields.PathOf(key), "is taken in whole seconds and is less than one, so the operating system's value applies");
            return null;
        }

        return seconds;
    }

    /// <summary>An int32 limit: Istio's validateConnectionPool refuses a negative one ("... must be non-negative").</summary>
    private static int? NonNegative(Fields? fields, string key, string name, NodeReader reader)
    {
        if (fields is null || !fields.Has(key))
        {
            return null;
        }

        var path = fields.PathOf(key);
        var value = reader.Int(fields[key], path, int.MinValue, int.MaxValue);
        if (value < 0)
        {
            reader.Error(path, $"{name} must be non-negative (got {value.Value.ToString(CultureInfo.InvariantCulture)})");
            return null;
        }

        return value;
    }

    private static TimeSpan? TcpIdleTimeout(YamlNode? node, string path, NodeReader reader)
    {
        if (node is YamlScalarNode { Value: { } text } && DurationParser.TryParse(text, out var value)
            && value.Ticks < TimeSpan.TicksPerMillisecond)
        {
            return TimeSpan.Zero;
        }

        return reader.Duration(node, path);
    }
}
