using Proxy.Istio.Hosts;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>Gateway (istio/api networking/v1alpha3/gateway.proto).</summary>
internal static class GatewayParser
{
    public static GatewayConfig? Parse(IstioObjectMeta meta, YamlNode? specNode, NodeReader reader)
    {
        var spec = reader.Mapping(specNode, "spec", ["selector", "servers"]) ?? new Fields("spec");

        // "If selector is nil, the Gateway will be applied to all workloads."
        var selector = reader.StringMap(spec["selector"], spec.PathOf("selector"));
        var servers = new List<ServerConfig>();
        var items = reader.Sequence(spec["servers"], spec.PathOf("servers"));
        if (items is null || items.Count == 0)
        {
            reader.Error(spec.PathOf("servers"), "at least one server is required");
            return null;
        }

        for (var i = 0; i < items.Count; i++)
        {
            if (ParseServer(meta, i, items[i].Node, items[i].Path, reader) is { } server)
            {
                servers.Add(server);
            }
        }

        return new GatewayConfig(meta, selector, servers);
    }

    private static ServerConfig? ParseServer(IstioObjectMeta meta, int index, YamlNode node, string path, NodeReader reader)
    {
        var server = reader.Mapping(node, path, ["port", "hosts", "tls", "name"], unsupported: ["bind", "defaultEndpoint"]);
        if (server is null)
        {
            reader.Error(path, "must not be null");
            return null;
        }

        // Port: number, protocol and name are all required (Istio validateServerPort: "port name must be set").
        var portPath = server.PathOf("port");
        var port = reader.Mapping(server["port"], portPath, ["number", "protocol", "name", "targetPort"]);
        int? number = null;
        string? protocol = null;
        string? portName = null;
        if (port is null)
        {
            reader.Error(portPath, "is required");
        }
        else
        {
            number = reader.Int(port["number"], port.PathOf("number"), 1, 65535);
            if (!port.Has("number"))
            {
                reader.Error(port.PathOf("number"), "is required");
            }

            var rawProtocol = reader.String(port["protocol"], port.PathOf("protocol"));
            if (rawProtocol is null)
            {
                reader.Error(port.PathOf("protocol"), "is required");
            }
            else if ((protocol = PortProtocols.Normalize(rawProtocol)) is null)
            {
                reader.Error(port.PathOf("protocol"), $"invalid protocol \"{rawProtocol}\"; expected one of {PortProtocols.Expected}");
            }

            portName = reader.String(port["name"], port.PathOf("name"));
            if (string.IsNullOrEmpty(portName))
            {
                reader.Error(port.PathOf("name"), "is required");
            }

            if (port.Has("targetPort"))
            {
                reader.Warning(port.PathOf("targetPort"), "has no effect on Gateways; ignored");
            }
        }

        var hosts = new List<GatewayHost>();
        var hostsPath = server.PathOf("hosts");
        var rawHosts = reader.StringList(server["hosts"], hostsPath);
        if (rawHosts is null || rawHosts.Count == 0)
        {
            reader.Error(hostsPath, "at least one host is required");
        }
        else
        {
            foreach (var (raw, hostPath) in rawHosts)
            {
                if (ParseServerHost(meta, raw, hostPath, reader) is { } host)
                {
                    hosts.Add(host);
                }
            }
        }

        // Istio validateServer: "server must have TLS settings for HTTPS/TLS protocols".
        ServerTlsConfig? tls = null;
        var tlsValid = true;
        if (server.Has("tls") && protocol is not null)
        {
            tls = GatewayTlsParser.Parse(server["tls"], server.PathOf("tls"), protocol, reader);
            tlsValid = tls is not null;
        }
        else if (protocol is not null && PortProtocols.IsTls(protocol))
        {
            reader.Error(server.PathOf("tls"), "is required: server must have TLS settings for HTTPS/TLS protocols");
            tlsValid = false;
        }

        return number is { } n && protocol is not null && !string.IsNullOrEmpty(portName) && tlsValid
            ? new ServerConfig(index, n, portName, protocol, hosts, tls)
            : null;
    }

    /// <summary>
    /// <c>[namespace/]dnsName</c>: namespace <c>*</c> (or none) admits VirtualServices of any namespace, <c>.</c> the
    /// Gateway's own, otherwise exactly that namespace (gateway.proto Server.hosts).
    /// </summary>
    private static GatewayHost? ParseServerHost(IstioObjectMeta meta, string raw, string path, NodeReader reader)
    {
        var ns = "*";
        var host = raw;
        var slash = raw.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            ns = raw[..slash];
            host = raw[(slash + 1)..];
            if (ns == ".")
            {
                ns = meta.Namespace;
            }
            else if (ns != "*" && !HostsValidation.IsDns1123Label(ns))
            {
                reader.Error(path, $"invalid namespace \"{ns}\" in host \"{raw}\"");
                return null;
            }
        }

        if (HostName.Validate(host) is { } problem)
        {
            reader.Error(path, problem);
            return null;
        }

        return new GatewayHost(ns, host.ToLowerInvariant());
    }
}
