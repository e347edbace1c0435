using Proxy.Istio.Hosts;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>DestinationRule (istio/api networking/v1alpha3/destination_rule.proto): subsets, load balancer, connection
/// pool, outlier detection, TLS origination, and port-level overrides of those. Validated as Istio's
/// pkg/config/validation/validation.go does (validateConnectionPool, validateOutlierDetection).</summary>
internal static class DestinationRuleParser
{
    private static readonly string[] TlsModes = ["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"];

    public static DestinationRuleConfig? Parse(IstioObjectMeta meta, YamlNode? specNode, NodeReader reader)
    {
        var spec = reader.Mapping(specNode, "spec", ["host", "trafficPolicy", "subsets"], unsupported: ["workloadSelector"], ignored: ["exportTo"])
            ?? new Fields("spec");
        var host = reader.String(spec["host"], spec.PathOf("host"));
        if (string.IsNullOrEmpty(host))
        {
            reader.Error(spec.PathOf("host"), "is required");
        }
        else if (HostName.Validate(host) is { } problem)
        {
            reader.Error(spec.PathOf("host"), problem);
            host = null;
        }

        var policy = ParseTrafficPolicy(spec["trafficPolicy"], spec.PathOf("trafficPolicy"), reader);
        var subsets = new List<SubsetConfig>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var items = reader.Sequence(spec["subsets"], spec.PathOf("subsets"));
        if (items is not null)
        {
            foreach (var (node, path) in items)
            {
                var subset = reader.Mapping(node, path, ["name", "labels", "trafficPolicy"]);
                if (subset is null)
                {
                    reader.Error(path, "must not be null");
                    continue;
                }

                var name = reader.String(subset["name"], subset.PathOf("name"));
                if (string.IsNullOrEmpty(name))
                {
                    reader.Error(subset.PathOf("name"), "is required");
                    continue;
                }

                if (!names.Add(name))
                {
                    reader.Error(subset.PathOf("name"), $"duplicate subset name \"{name}\"");
                    continue;
                }

                var labels = reader.StringMap(subset["labels"], subset.PathOf("labels")) ?? [];
                var subsetPolicy = ParseTrafficPolicy(subset["trafficPolicy"], subset.PathOf("trafficPolicy"), reader);
                subsets.Add(new SubsetConfig(name, labels, subsetPolicy));
            }
        }

        if (string.IsNullOrEmpty(host))
        {
            return null;
        }

        var raw = host.ToLowerInvariant();
        return new DestinationRuleConfig(meta, HostName.Qualify(raw, meta.Namespace), raw, policy, subsets);
    }

    private static TrafficPolicyConfig? ParseTrafficPolicy(YamlNode? node, string path, NodeReader reader)
    {
        var policy = reader.Mapping(node, path, ["loadBalancer", "connectionPool", "outlierDetection", "tls", "portLevelSettings"],
            unsupported: ["tunnel", "proxyProtocol", "retryBudget"]);
        if (policy is null)
        {
            return null;
        }

        return ParsePolicyFields(policy, reader) with { PortLevelSettings = ParsePortLevelSettings(policy, reader) };
    }

    /// <summary>
    /// <c>portLevelSettings[]</c>: each replaces the enclosing policy for one service port. Istio uses the first entry
    /// for a port, so later ones are ignored with a warning.
    /// </summary>
    private static List<PortTrafficPolicyConfig> ParsePortLevelSettings(Fields policy, NodeReader reader)
    {
        var result = new List<PortTrafficPolicyConfig>();
        var items = reader.Sequence(policy["portLevelSettings"], policy.PathOf("portLevelSettings"));
        var seen = new Dictionary<int, string>();
        foreach (var (node, path) in items ?? [])
        {
            var fields = reader.Mapping(node, path, ["port", "loadBalancer", "connectionPool", "outlierDetection", "tls"]);
            if (fields is null)
            {
                reader.Error(path, "must not be null");
                continue;
            }

            var portPath = fields.PathOf("port");
            var portFields = reader.Mapping(fields["port"], portPath, ["number"]);
            var number = reader.Int(portFields?["number"], NodeReader.Join(portPath, "number"), 1, 65535);
            if (portFields is null || !portFields.Has("number"))
            {
                reader.Error(portFields is null ? portPath : NodeReader.Join(portPath, "number"), "is required");
            }

            var portPolicy = ParsePolicyFields(fields, reader);
            if (number is not { } port)
            {
                continue;
            }

            if (!seen.TryAdd(port, path))
            {
                reader.Warning(portPath, $"ignored: port {port} already has settings at {seen[port]}");
                continue;
            }

            result.Add(new PortTrafficPolicyConfig(port, portPolicy));
        }

        return result;
    }

    /// <summary>The fields a rule-level, subset and port-level policy share.</summary>
    private static TrafficPolicyConfig ParsePolicyFields(Fields policy, NodeReader reader)
    {
        var loadBalancer = LoadBalancerParser.Parse(policy["loadBalancer"], policy.PathOf("loadBalancer"), reader);
        var pool = ConnectionPoolParser.Parse(policy["connectionPool"], policy.PathOf("connectionPool"), reader);
        var outlier = OutlierDetectionParser.Parse(policy["outlierDetection"], policy.PathOf("outlierDetection"), reader);
        var tls = policy.Has("tls") ? ParseClientTls(policy["tls"], policy.PathOf("tls"), reader) : null;
        return new TrafficPolicyConfig(loadBalancer, pool, tls) { OutlierDetection = outlier };
    }

    /// <summary>ClientTLSSettings, checked as Istio's ValidateTLS does; null when invalid.</summary>
    private static ClientTlsConfig? ParseClientTls(YamlNode? node, string path, NodeReader reader)
    {
        var errors = reader.ErrorCount;
        var tls = reader.Mapping(node, path,
            ["mode", "clientCertificate", "privateKey", "caCertificates", "credentialName", "subjectAltNames", "sni", "insecureSkipVerify", "caCrl"]);
        if (tls is null)
        {
            return null;
        }

        if (tls.Has("caCrl"))
        {
            // Ignoring a revocation list would accept upstream certificates the configuration means to refuse.
            reader.Error(tls.PathOf("caCrl"), "not supported by this gateway");
        }

        var mode = reader.Enum(tls["mode"], tls.PathOf("mode"), TlsModes) switch
        {
            "SIMPLE" => ClientTlsMode.Simple,
            "MUTUAL" => ClientTlsMode.Mutual,
            "ISTIO_MUTUAL" => ClientTlsMode.IstioMutual,
            _ => ClientTlsMode.Disable,
        };
        var clientCertificate = TlsFiles.ReadPath(reader, tls, "clientCertificate");
        var privateKey = TlsFiles.ReadPath(reader, tls, "privateKey");
        var caCertificates = TlsFiles.ReadPath(reader, tls, "caCertificates");
        var credentialName = TlsFiles.ReadCredentialName(reader, tls);
        var subjectAltNames = reader.StringList(tls["subjectAltNames"], tls.PathOf("subjectAltNames"))?.Select(static s => s.Value).ToList() ?? [];
        var insecureSkipVerify = reader.Bool(tls["insecureSkipVerify"], tls.PathOf("insecureSkipVerify")) ?? false;
        var sni = reader.String(tls["sni"], tls.PathOf("sni"));
        if (string.IsNullOrEmpty(sni))
        {
            sni = null;
        }
        else if (HostName.Validate(sni) is not null || HostName.IsWildcard(sni))
        {
            reader.Error(tls.PathOf("sni"), $"\"{sni}\" is not a server name (a DNS name without wildcard)");
        }

        switch (mode)
        {
            case ClientTlsMode.Disable:
                // Kept (not null): a subset or port-level DISABLE overrides the rule's SIMPLE or MUTUAL.
                return new ClientTlsConfig(reader.Location, tls.Path, mode, null, null, null, null, [], null, false);
            case ClientTlsMode.IstioMutual:
                reader.Error(tls.PathOf("mode"), "ISTIO_MUTUAL is not supported by this gateway (it needs Istio-issued workload certificates); use MUTUAL with clientCertificate and privateKey");
                return null;
        }

        if (insecureSkipVerify && (caCertificates is not null || subjectAltNames.Count > 0 || (mode == ClientTlsMode.Simple && credentialName is not null)))
        {
            reader.Error(tls.Path, mode == ClientTlsMode.Simple
                ? "cannot specify caCertificates, credentialName or subjectAltNames when insecureSkipVerify is true"
                : "cannot specify caCertificates or subjectAltNames when insecureSkipVerify is true");
        }

        if (credentialName is not null)
        {
            if (clientCertificate is not null || privateKey is not null || caCertificates is not null)
            {
                reader.Error(tls.Path, "cannot specify clientCertificate, privateKey or caCertificates when credentialName is set");
            }
        }
        else if (mode == ClientTlsMode.Mutual)
        {
            if (clientCertificate is null)
            {
                reader.Error(tls.PathOf("clientCertificate"), "is required in MUTUAL mode unless credentialName is set");
            }

            if (privateKey is null)
            {
                reader.Error(tls.PathOf("privateKey"), "is required in MUTUAL mode unless credentialName is set");
            }
        }
        else if (clientCertificate is not null || privateKey is not null)
        {
            reader.Warning(tls.Path, "clientCertificate and privateKey are ignored in SIMPLE mode (no client certificate is sent); use MUTUAL");
        }

        return reader.ErrorCount > errors
            ? null
            : new ClientTlsConfig(reader.Location, tls.Path, mode, mode == ClientTlsMode.Mutual ? clientCertificate : null,
                mode == ClientTlsMode.Mutual ? privateKey : null, caCertificates, credentialName, subjectAltNames, sni, insecureSkipVerify);
    }
}
