using System.Globalization;
using System.Text;

namespace Proxy.Hosting.Tests.TestInfrastructure;

/// <summary>The Istio documents the end-to-end tests share: the gateway on port 8080 and STATIC ServiceEntries on
/// loopback backends. Each test adds its own VirtualServices and DestinationRules after them.</summary>
internal static class IstioYaml
{
    /// <summary>Gateway <c>gw</c>: one HTTP server on 8080 for every host, then the document separator.</summary>
    public const string Gateway = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: gw
        spec:
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: ["*"]
        ---

        """;

    /// <summary>ServiceEntry <paramref name="name"/> for <paramref name="host"/> (HTTP on 80), one endpoint per
    /// loopback port, then the document separator.</summary>
    public static string ServiceEntry(string name, string host, params int[] ports)
    {
        var yaml = new StringBuilder();
        yaml.Append(CultureInfo.InvariantCulture, $"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata:
              name: {name}
            spec:
              hosts: [{host}]
              ports: [{"{"}number: 80, name: http, protocol: HTTP{"}"}]
              resolution: STATIC
              endpoints:

            """);
        foreach (var port in ports)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{address: 127.0.0.1, ports: {{http: {port}}}}}\n");
        }

        return yaml.Append("---\n").ToString();
    }
}
