using System.Net;
using Proxy.Istio.Hosts;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>ServiceEntry (istio/api networking/v1alpha3/service_entry.proto): the standalone service registry.</summary>
internal static class ServiceEntryParser
{
    private static readonly string[] Resolutions = ["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN"];
    private static readonly string[] Locations = ["MESH_EXTERNAL", "MESH_INTERNAL"];

    public static ServiceEntryConfig? Parse(IstioObjectMeta meta, YamlNode? specNode, NodeReader reader)
    {
        var spec = reader.Mapping(specNode, "spec", ["hosts", "ports", "resolution", "endpoints", "location", "addresses", "subjectAltNames"],
            unsupported: ["workloadSelector"], ignored: ["exportTo"]) ?? new Fields("spec");
        var hosts = HostsValidation.ReadHosts(reader, spec)
            .Select(h => new ServiceHost(h.Host, HostName.Qualify(h.Host, meta.Namespace)))
            .ToList();
        reader.Enum(spec["location"], spec.PathOf("location"), Locations);
        reader.StringList(spec["addresses"], spec.PathOf("addresses"));

        // Default resolution is NONE (the proto's zero value).
        var resolution = reader.Enum(spec["resolution"], spec.PathOf("resolution"), Resolutions) switch
        {
            "STATIC" => ServiceResolution.Static,
            "DNS" => ServiceResolution.Dns,
            "DNS_ROUND_ROBIN" => ServiceResolution.DnsRoundRobin,
            _ => ServiceResolution.None,
        };

        var ports = ParsePorts(spec, reader);
        var endpoints = ParseEndpoints(spec, resolution, ports, reader);
        if (resolution == ServiceResolution.None)
        {
            reader.Warning(spec.PathOf("resolution"), "NONE (pass-through to the original destination) is not supported by a standalone gateway; its hosts have no endpoints (503)");
        }
        else if (resolution == ServiceResolution.Static && !spec.Has("endpoints"))
        {
            reader.Warning(spec.PathOf("endpoints"), "STATIC resolution without endpoints: requests to these hosts get 503");
        }
        else if (resolution is ServiceResolution.Dns or ServiceResolution.DnsRoundRobin && !spec.Has("endpoints"))
        {
            // Without endpoints the hosts themselves are resolved, which a wildcard cannot be.
            foreach (var host in hosts.Where(h => HostName.IsWildcard(h.Raw)))
            {
                reader.Error(spec.PathOf("hosts"), $"wildcard host \"{host.Raw}\" cannot be resolved with DNS resolution and no endpoints");
            }
        }

        // Verifies the server certificate when a DestinationRule originates TLS without its own subjectAltNames.
        var subjectAltNames = reader.StringList(spec["subjectAltNames"], spec.PathOf("subjectAltNames"))?.Select(static s => s.Value).ToList() ?? [];
        return new ServiceEntryConfig(meta, hosts, ports, resolution, endpoints, subjectAltNames);
    }

    private static List<ServicePortConfig> ParsePorts(Fields spec, NodeReader reader)
    {
        var ports = new List<ServicePortConfig>();
        var items = reader.Sequence(spec["ports"], spec.PathOf("ports"));
        if (items is null || items.Count == 0)
        {
            reader.Error(spec.PathOf("ports"), "at least one port is required");
            return ports;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var numbers = new HashSet<int>();
        foreach (var (node, path) in items)
        {
            var port = reader.Mapping(node, path, ["number", "protocol", "name", "targetPort"]);
            if (port is null)
            {
                reader.Error(path, "must not be null");
                continue;
            }

            var number = reader.Int(port["number"], port.PathOf("number"), 1, 65535);
            if (!port.Has("number"))
            {
                reader.Error(port.PathOf("number"), "is required");
            }

            var name = reader.String(port["name"], port.PathOf("name"));
            if (string.IsNullOrEmpty(name))
            {
                reader.Error(port.PathOf("name"), "is required");
            }

            var rawProtocol = reader.String(port["protocol"], port.PathOf("protocol"));
            var protocol = rawProtocol is null ? "TCP" : PortProtocols.Normalize(rawProtocol);
            if (protocol is null)
            {
                reader.Error(port.PathOf("protocol"), $"invalid protocol \"{rawProtocol}\"; expected one of {PortProtocols.Expected}");
            }

            var targetPort = reader.Int(port["targetPort"], port.PathOf("targetPort"), 1, 65535);
            if (name is { Length: > 0 } && !names.Add(name))
            {
                reader.Error(port.PathOf("name"), $"port name \"{name}\" is already defined");
            }

            if (number is { } n && !numbers.Add(n))
            {
                reader.Error(port.PathOf("number"), $"port {n} is already defined");
            }

            if (number is { } value && !string.IsNullOrEmpty(name) && protocol is not null)
            {
                ports.Add(new ServicePortConfig(value, name, protocol, targetPort));
            }
        }

        return ports;
    }

    private static List<WorkloadEntryConfig> ParseEndpoints(Fields spec, ServiceResolution resolution, List<ServicePortConfig> ports, NodeReader reader)
    {
        var endpoints = new List<WorkloadEntryConfig>();
        var items = reader.Sequence(spec["endpoints"], spec.PathOf("endpoints"));
        if (items is null)
        {
            return endpoints;
        }

        foreach (var (node, path) in items)
        {
            var endpoint = reader.Mapping(node, path, ["address", "ports", "labels", "weight"],
                unsupported: ["locality"], ignored: ["network", "serviceAccount"]);
            if (endpoint is null)
            {
                reader.Error(path, "must not be null");
                continue;
            }

            var address = reader.String(endpoint["address"], endpoint.PathOf("address"));
            if (string.IsNullOrEmpty(address))
            {
                reader.Error(endpoint.PathOf("address"), "is required");
                continue;
            }

            if (address.StartsWith("unix://", StringComparison.Ordinal))
            {
                reader.Error(endpoint.PathOf("address"), "unix domain socket endpoints are not supported");
                continue;
            }

            var isIp = IPAddress.TryParse(address, out _);
            if (resolution == ServiceResolution.Static && !isIp)
            {
                // STATIC: "the proxy will use the IP addresses specified in endpoints".
                reader.Error(endpoint.PathOf("address"), $"\"{address}\" is not an IP address, which STATIC resolution requires");
                continue;
            }

            if (!isIp && HostName.Validate(address) is { } problem)
            {
                reader.Error(endpoint.PathOf("address"), problem);
                continue;
            }

            var portMap = new Dictionary<string, int>(StringComparer.Ordinal);
            if (endpoint.Has("ports"))
            {
                if (endpoint["ports"] is not YamlMappingNode mapping)
                {
                    reader.Error(endpoint.PathOf("ports"), "expected a mapping of port names to numbers");
                }
                else
                {
                    foreach (var (keyNode, value) in mapping.Children)
                    {
                        var portName = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
                        var portPath = NodeReader.Join(endpoint.PathOf("ports"), portName);
                        if (!ports.Any(p => p.Name == portName))
                        {
                            reader.Error(portPath, $"port name \"{portName}\" is not defined in spec.ports");
                        }

                        if (reader.Int(value, portPath, 1, 65535) is { } number)
                        {
                            portMap[portName] = number;
                        }
                    }
                }
            }

            var labels = reader.StringMap(endpoint["labels"], endpoint.PathOf("labels")) ?? [];

            // An unset (0) weight means 1, as Istio does when building Envoy endpoints.
            var weight = reader.Int(endpoint["weight"], endpoint.PathOf("weight"), 0, int.MaxValue) ?? 0;
            endpoints.Add(new WorkloadEntryConfig(address, portMap, labels, weight == 0 ? 1 : weight));
        }

        return endpoints;
    }
}
