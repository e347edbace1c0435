using Proxy.Engine.Config;
using Proxy.Istio.Hosts;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>DestinationRule (istio/api networking/v1alpha3/destination_rule.proto): subsets, load balancer, connection timeouts.</summary>
internal static class DestinationRuleParser
{
    private static readonly string[] SimpleLb = ["UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"];

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
        var policy = reader.Mapping(node, path, ["loadBalancer", "connectionPool"],
            unsupported: ["outlierDetection", "tls", "portLevelSettings", "tunnel", "proxyProtocol", "retryBudget"]);
        if (policy is null)
        {
            return null;
        }

        LoadBalancingPolicy? loadBalancing = null;
        var lb = reader.Mapping(policy["loadBalancer"], policy.PathOf("loadBalancer"), ["simple"],
            unsupported: ["consistentHash", "localityLbSetting", "warmupDurationSecs", "warmup"]);
        if (lb is not null)
        {
            var simple = reader.Enum(lb["simple"], lb.PathOf("simple"), SimpleLb);
            loadBalancing = simple switch
            {
                null => null,
                "ROUND_ROBIN" => LoadBalancingPolicy.RoundRobin,
                "RANDOM" => LoadBalancingPolicy.Random,

                // LEAST_CONN is deprecated in Istio and means LEAST_REQUEST; UNSPECIFIED is Istio's default, LEAST_REQUEST.
                "UNSPECIFIED" or "LEAST_CONN" or "LEAST_REQUEST" => LoadBalancingPolicy.LeastRequest,
                _ => Unsupported(reader, lb.PathOf("simple"), simple),
            };
        }

        ConnectionPoolConfig? pool = null;
        var poolFields = reader.Mapping(policy["connectionPool"], policy.PathOf("connectionPool"), ["tcp", "http"]);
        if (poolFields is not null)
        {
            var tcp = reader.Mapping(poolFields["tcp"], poolFields.PathOf("tcp"), ["connectTimeout", "idleTimeout"],
                unsupported: ["maxConnections", "tcpKeepalive", "maxConnectionDuration"]);
            var http = reader.Mapping(poolFields["http"], poolFields.PathOf("http"), ["idleTimeout"],
                unsupported: ["http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries", "h2UpgradePolicy", "useClientProtocol", "maxConcurrentStreams"]);

            // Istio ValidateDuration for connectTimeout: at least 1ms.
            var connect = Duration(tcp?["connectTimeout"], tcp?.PathOf("connectTimeout"), reader, TimeSpan.FromMilliseconds(1));
            var tcpIdle = Duration(tcp?["idleTimeout"], tcp?.PathOf("idleTimeout"), reader, TimeSpan.Zero);
            var httpIdle = Duration(http?["idleTimeout"], http?.PathOf("idleTimeout"), reader, TimeSpan.Zero);
            pool = new ConnectionPoolConfig(connect, tcpIdle, httpIdle);
        }

        return new TrafficPolicyConfig(loadBalancing, pool);
    }

    private static LoadBalancingPolicy? Unsupported(NodeReader reader, string path, string value)
    {
        reader.Warning(path, $"{value} is not supported yet; using LEAST_REQUEST");
        return LoadBalancingPolicy.LeastRequest;
    }

    private static TimeSpan? Duration(YamlNode? node, string? path, NodeReader reader, TimeSpan minimum)
    {
        if (node is null || path is null)
        {
            return null;
        }

        var text = reader.String(node, path);
        if (text is null)
        {
            return null;
        }

        if (!DurationParser.TryParse(text, out var value))
        {
            reader.Error(path, $"invalid duration \"{text}\"; expected e.g. 10s, 1.5s, 250ms, 1m or 1h");
            return null;
        }

        if (value < minimum)
        {
            reader.Error(path, $"duration \"{text}\" must be at least {(minimum.TotalMilliseconds >= 1 ? "1ms" : "0")}");
            return null;
        }

        return value;
    }
}
