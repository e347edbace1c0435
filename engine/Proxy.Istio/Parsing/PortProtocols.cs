namespace Proxy.Istio.Parsing;

/// <summary>Port protocols Istio's protocol.Parse accepts (case-insensitive), normalised to upper case.</summary>
internal static class PortProtocols
{
    public const string Http = "HTTP";

    private static readonly string[] Known = ["HTTP", "HTTPS", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY", "TCP", "TLS", "UDP", "MONGO", "REDIS", "MYSQL"];

    public static string? Normalize(string protocol)
    {
        var upper = protocol.ToUpperInvariant();
        return Array.IndexOf(Known, upper) >= 0 ? upper : null;
    }

    public static string Expected => string.Join(", ", Known);
}
