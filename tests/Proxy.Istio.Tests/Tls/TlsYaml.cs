namespace Proxy.Istio.Tests.Tls;

/// <summary>YAML builders for Gateway servers with tls, and VirtualServices with tls and tcp routes.</summary>
internal static class TlsYaml
{
    /// <summary>SIMPLE termination with the certificate files <see cref="TempDirectory.WriteCredential"/> writes into <c>certs</c>.</summary>
    public const string Simple = "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key}";

    public static string Gateway(string servers, string name = "gw", string ns = "default", string? selector = null) => $$"""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          {{(selector is null ? string.Empty : "selector: " + selector)}}
          servers:
        {{servers}}
        """;

    /// <summary>One <c>servers[]</c> item; <paramref name="tls"/> is a flow mapping or empty for none.</summary>
    public static string Server(string protocol, string hosts, string tls = "", int port = 443, string? portName = null)
    {
        var server = $"  - port: {{number: {port}, name: {portName ?? protocol.ToLowerInvariant()}, protocol: {protocol}}}\n    hosts: {hosts}";
        return tls.Length == 0 ? server : server + $"\n    tls: {tls}";
    }

    public static string Servers(params string[] servers) => string.Join("\n", servers);

    /// <summary>A VirtualService bound to <paramref name="gateways"/> with the given spec sections (already indented list items).</summary>
    public static string VirtualService(string name, string hosts, string? http = null, string? tls = null, string? tcp = null, string gateways = "[gw]", string ns = "default")
    {
        var yaml = $$"""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: {{name}}, namespace: {{ns}}}
            spec:
              hosts: {{hosts}}
              gateways: {{gateways}}
            """;
        foreach (var (key, items) in new[] { ("http", http), ("tls", tls), ("tcp", tcp) })
        {
            if (items is not null)
            {
                yaml += $"\n  {key}:\n{items}";
            }
        }

        return yaml;
    }

    /// <summary>An http, tls or tcp route item to the backend subset.</summary>
    public static string To(string subset, string? match = null) =>
        (match is null ? "  - " : $"  - match: [{match}]\n    ") + $"route: [{{destination: {{host: backend.example.internal, subset: {subset}}}}}]";
}
