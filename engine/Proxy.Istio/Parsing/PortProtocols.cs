namespace Proxy.Istio.Parsing;

/// <summary>Port protocols Istio's protocol.Parse accepts (case-insensitive), normalised to upper case.</summary>
internal static class PortProtocols
{
    public const string Http = "HTTP";
    public const string Https = "HTTPS";
    public const string Tls = "TLS";

    private static readonly string[] Known = ["HTTP", "HTTPS", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY", "TCP", "TLS", "UDP", "MONGO", "REDIS", "MYSQL"];

    public static string? Normalize(string protocol)
    {
        var upper = protocol.ToUpperInvariant();
        return Array.IndexOf(Known, upper) >= 0 ? upper : null;
    }

    public static string Expected => string.Join(", ", Known);

    /// <summary>Istio protocol.IsHTTP: plaintext HTTP of any version.</summary>
    public static bool IsPlainHttp(string protocol) => protocol is "HTTP" or "HTTP2" or "GRPC" or "GRPC-WEB" or "HTTP_PROXY";

    /// <summary>Istio protocol.IsTLS: the server needs <c>tls</c>.</summary>
    public static bool IsTls(string protocol) => protocol is Https or Tls;

    /// <summary>
    /// Protocols an Istio gateway proxies as opaque TCP: TCP, and MONGO, REDIS and MYSQL, whose Envoy protocol filters
    /// Istio leaves off by default (and which add only stats when on).
    /// </summary>
    public static bool IsOpaqueTcp(string protocol) => protocol is "TCP" or "MONGO" or "REDIS" or "MYSQL";
}
