using System.Globalization;
using Proxy.Engine.Config;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>
/// <c>trafficPolicy.loadBalancer</c> (istio/api networking/v1alpha3/destination_rule.proto LoadBalancerSettings),
/// checked as Istio's validateLoadBalancer and CRD schema do, and mapped the way istiod configures Envoy
/// (pilot/pkg/networking/core/cluster_traffic_policy.go applyLoadBalancer, route.go ConsistentHashToHashPolicy).
/// </summary>
internal static class LoadBalancerParser
{
    private static readonly string[] SimpleLb = ["UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"];
    private static readonly string[] HashKeys = ["httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName"];

    /// <summary>Istio's limit on a Maglev table ("tableSize must be less than 5000011 for maglev").</summary>
    private const int MaglevTableSizeLimit = 5000011;

    /// <summary>Envoy's default maximum_ring_size: a larger minimum is refused by Envoy ("minimum_ring_size > maximum_ring_size").</summary>
    private const int MaximumRingSize = 8 * 1024 * 1024;

    public static LoadBalancerConfig? Parse(YamlNode? node, string path, NodeReader reader)
    {
        var lb = reader.Mapping(node, path, ["simple", "consistentHash", "warmupDurationSecs", "warmup"],
            unsupported: ["localityLbSetting", "zoneAwareLbSetting"]);
        if (lb is null)
        {
            return null;
        }

        if (lb.Has("simple") && lb.Has("consistentHash"))
        {
            // oneof lb_policy.
            reader.Error(path, "only one of simple or consistentHash may be set");
        }

        var config = lb.Has("consistentHash")
            ? ParseConsistentHash(lb["consistentHash"], lb.PathOf("consistentHash"), reader)
            : new LoadBalancerConfig(ParseSimple(lb, reader));
        var warmup = ParseWarmup(lb, reader);
        if (warmup is null || config is null)
        {
            return config;
        }

        // istiod sets slow start only in ROUND_ROBIN and LEAST_REQUEST LbConfigs; RANDOM and consistent hash drop it.
        if (config.Policy is LoadBalancingPolicy.RoundRobin or LoadBalancingPolicy.LeastRequest)
        {
            return config with { Warmup = warmup };
        }

        reader.Warning(lb.PathOf(lb.Has("warmup") ? "warmup" : "warmupDurationSecs"), "applies only to ROUND_ROBIN and LEAST_REQUEST; ignored");
        return config;
    }

    private static LoadBalancingPolicy ParseSimple(Fields lb, NodeReader reader)
    {
        var simple = reader.Enum(lb["simple"], lb.PathOf("simple"), SimpleLb);
        switch (simple)
        {
            case "ROUND_ROBIN":
                return LoadBalancingPolicy.RoundRobin;
            case "RANDOM":
                return LoadBalancingPolicy.Random;
            case "PASSTHROUGH":
                // Envoy's ORIGINAL_DST cluster forwards to the address the client connected to; a gateway has no
                // such destination of its own.
                reader.Warning(lb.PathOf("simple"), "PASSTHROUGH is not supported yet; using LEAST_REQUEST");
                return LoadBalancingPolicy.LeastRequest;
            default:
                // LEAST_CONN is deprecated in Istio and means LEAST_REQUEST; UNSPECIFIED is Istio's default, LEAST_REQUEST.
                return LoadBalancingPolicy.LeastRequest;
        }
    }

    /// <summary>ConsistentHashLB: at most one hash key (oneof hash_key), ring hash (the default) or Maglev.</summary>
    private static LoadBalancerConfig? ParseConsistentHash(YamlNode? node, string path, NodeReader reader)
    {
        var errors = reader.ErrorCount;
        var hash = reader.Mapping(node, path, [.. HashKeys, "ringHash", "maglev", "minimumRingSize"]);
        if (hash is null)
        {
            return null;
        }

        var keys = HashKeys.Count(hash.Has);
        if (keys > 1)
        {
            reader.Error(path, "only one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName may be set");
        }

        var key = ParseHashKey(hash, reader);
        if (keys == 0 || (keys == 1 && key is null && reader.ErrorCount == errors))
        {
            // Envoy hashes nothing and picks a random endpoint for every request (no hash policy, or useSourceIp false).
            reader.Warning(path, "no hash key; every request gets a random endpoint");
        }

        if (hash.Has("ringHash") && hash.Has("maglev"))
        {
            reader.Error(path, "only one of ringHash or maglev may be set");
        }

        if (hash.Has("minimumRingSize"))
        {
            if (hash.Has("ringHash") || hash.Has("maglev"))
            {
                reader.Error(path, "only one of minimumRingSize or ringHash/maglev can be specified");
            }
            else
            {
                reader.Warning(hash.PathOf("minimumRingSize"), "deprecated; use ringHash.minimumRingSize");
            }
        }

        var config = new LoadBalancerConfig(LoadBalancingPolicy.RingHash, key);
        if (hash.Has("maglev"))
        {
            var maglev = reader.Mapping(hash["maglev"], hash.PathOf("maglev"), ["tableSize"]);
            var sizePath = NodeReader.Join(hash.PathOf("maglev"), "tableSize");
            var size = reader.Int(maglev?["tableSize"], sizePath, 0, int.MaxValue);
            if (size is { } tableSize)
            {
                if (tableSize >= MaglevTableSizeLimit)
                {
                    reader.Error(sizePath, $"tableSize must be less than {MaglevTableSizeLimit} for maglev");
                }
                else if (!IsPrime(tableSize))
                {
                    reader.Error(sizePath, $"{tableSize} is not a prime number; maglev's tableSize must be prime (e.g. 65537)");
                }
            }

            // Istio documents 65537 when tableSize is not specified.
            config = config with { Policy = LoadBalancingPolicy.Maglev, MaglevTableSize = size ?? ClusterConfig.DefaultMaglevTableSize };
        }
        else
        {
            var ringPath = hash.Has("ringHash") ? NodeReader.Join(hash.PathOf("ringHash"), "minimumRingSize") : hash.PathOf("minimumRingSize");
            var ringSize = hash.Has("ringHash")
                ? reader.Int(reader.Mapping(hash["ringHash"], hash.PathOf("ringHash"), ["minimumRingSize"])?["minimumRingSize"], ringPath, 0, MaximumRingSize)
                : reader.Int(hash["minimumRingSize"], ringPath, 0, MaximumRingSize);

            // uint64 0 is "not set": Envoy's (and istiod's) default of 1024.
            config = config with { MinimumRingSize = ringSize is > 0 and var size ? size : ClusterConfig.DefaultMinimumRingSize };
        }

        return reader.ErrorCount > errors ? null : config;
    }

    private static HashPolicy? ParseHashKey(Fields hash, NodeReader reader)
    {
        if (hash.Has("httpHeaderName"))
        {
            return NonEmpty(hash, "httpHeaderName", reader) is { } header ? HashPolicy.Header(header) : null;
        }

        if (hash.Has("httpQueryParameterName"))
        {
            return NonEmpty(hash, "httpQueryParameterName", reader) is { } parameter ? HashPolicy.QueryParameter(parameter) : null;
        }

        if (hash.Has("useSourceIp"))
        {
            // route.go: ConnectionProperties{SourceIp: useSourceIp}; false hashes nothing.
            return reader.Bool(hash["useSourceIp"], hash.PathOf("useSourceIp")) == true ? HashPolicy.SourceIp() : null;
        }

        return hash.Has("httpCookie") ? ParseCookie(hash["httpCookie"], hash.PathOf("httpCookie"), reader) : null;
    }

    private static HashPolicy? ParseCookie(YamlNode? node, string path, NodeReader reader)
    {
        var cookie = reader.Mapping(node, path, ["name", "path", "ttl", "attributes"]);
        if (cookie is null)
        {
            return null;
        }

        var name = reader.String(cookie["name"], cookie.PathOf("name"));
        if (string.IsNullOrEmpty(name))
        {
            reader.Error(cookie.PathOf("name"), "is required (name required for HttpCookie)");
        }
        else if (!IsToken(name))
        {
            reader.Error(cookie.PathOf("name"), $"\"{name}\" is not a valid cookie name (RFC 6265 token)");
        }

        var cookiePath = reader.String(cookie["path"], cookie.PathOf("path"));
        if (cookiePath is not null && HasControlOrSemicolon(cookiePath))
        {
            reader.Error(cookie.PathOf("path"), "must not contain ';' or control characters");
        }

        // Istio: "If specified, a cookie with the TTL will be generated if the cookie is not present. If the TTL is
        // present and zero, the generated cookie will be a session cookie." Any duration, 0 included.
        TimeSpan? ttl = null;
        if (reader.String(cookie["ttl"], cookie.PathOf("ttl")) is { } ttlText)
        {
            if (DurationParser.TryParse(ttlText, out var value))
            {
                ttl = value;
            }
            else
            {
                reader.Error(cookie.PathOf("ttl"), $"invalid duration \"{ttlText}\"; expected e.g. 0s, 30m or 24h");
            }
        }

        var attributes = new List<KeyValuePair<string, string>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (item, itemPath) in reader.Sequence(cookie["attributes"], cookie.PathOf("attributes")) ?? [])
        {
            var attribute = reader.Mapping(item, itemPath, ["name", "value"]);
            var attributeName = reader.String(attribute?["name"], NodeReader.Join(itemPath, "name"));
            var attributeValue = reader.String(attribute?["value"], NodeReader.Join(itemPath, "value")) ?? string.Empty;
            if (string.IsNullOrEmpty(attributeName))
            {
                reader.Error(NodeReader.Join(itemPath, "name"), "cookie attribute name cannot be empty");
            }
            else if (!names.Add(attributeName))
            {
                reader.Error(NodeReader.Join(itemPath, "name"), $"duplicate cookie attribute name: {attributeName}");
            }
            else if (HasControlOrSemicolon(attributeName) || HasControlOrSemicolon(attributeValue))
            {
                reader.Error(itemPath, "must not contain ';' or control characters");
            }
            else
            {
                attributes.Add(new(attributeName, attributeValue));
            }
        }

        return string.IsNullOrEmpty(name) || !IsToken(name)
            ? null
            : HashPolicy.Cookie(name, ttl, string.IsNullOrEmpty(cookiePath) ? null : cookiePath) with { CookieAttributes = attributes };
    }

    /// <summary><c>warmup</c> (WarmupConfiguration) or the deprecated <c>warmupDurationSecs</c>, not both.</summary>
    private static SlowStartConfig? ParseWarmup(Fields lb, NodeReader reader)
    {
        if (lb.Has("warmupDurationSecs") && lb.Has("warmup"))
        {
            reader.Error(lb.Path, "only one of warmupDurationSecs or warmup can be set");
            return null;
        }

        if (lb.Has("warmupDurationSecs"))
        {
            return WarmupDuration(lb["warmupDurationSecs"], lb.PathOf("warmupDurationSecs"), reader) is { } legacy ? new SlowStartConfig(legacy) : null;
        }

        var warmup = reader.Mapping(lb["warmup"], lb.PathOf("warmup"), ["duration", "minimumPercent", "aggression"]);
        if (warmup is null)
        {
            return null;
        }

        var errors = reader.ErrorCount;
        if (!warmup.Has("duration"))
        {
            reader.Error(warmup.PathOf("duration"), "is required");
        }

        var duration = WarmupDuration(warmup["duration"], warmup.PathOf("duration"), reader);
        var minimumPercent = Double(warmup["minimumPercent"], warmup.PathOf("minimumPercent"), reader);
        if (minimumPercent is < 0 or > 100)
        {
            reader.Error(warmup.PathOf("minimumPercent"), "must be between 0 and 100");
        }

        var aggression = Double(warmup["aggression"], warmup.PathOf("aggression"), reader);
        if (aggression is <= 0)
        {
            reader.Error(warmup.PathOf("aggression"), "aggression should be greater than 0");
        }

        // Istio's defaults, "aligned with envoy default": minimum 10 percent, aggression 1.0 (linear).
        return reader.ErrorCount > errors || duration is not { } window
            ? null
            : new SlowStartConfig(window, minimumPercent ?? 10, aggression ?? 1.0);
    }

    /// <summary>A warmup duration: at least 1ms, whole milliseconds (Istio's ValidateDuration).</summary>
    private static TimeSpan? WarmupDuration(YamlNode? node, string path, NodeReader reader)
    {
        if (reader.String(node, path) is not { } text)
        {
            return null;
        }

        if (!DurationParser.TryParse(text, out var value))
        {
            reader.Error(path, $"invalid duration \"{text}\"; expected e.g. 30s, 2m or 1m30s");
            return null;
        }

        if (value < TimeSpan.FromMilliseconds(1))
        {
            reader.Error(path, "duration must be greater than 1ms");
            return null;
        }

        if (value.Ticks % TimeSpan.TicksPerMillisecond != 0)
        {
            reader.Error(path, "only durations to ms precision are supported");
            return null;
        }

        return value;
    }

    private static string? NonEmpty(Fields fields, string field, NodeReader reader)
    {
        var value = reader.String(fields[field], fields.PathOf(field));
        if (string.IsNullOrEmpty(value))
        {
            reader.Error(fields.PathOf(field), "must not be empty");
            return null;
        }

        return value;
    }

    /// <summary>A protobuf DoubleValue written as a plain YAML number.</summary>
    private static double? Double(YamlNode? node, string path, NodeReader reader)
    {
        if (NodeReader.IsNull(node))
        {
            return null;
        }

        if (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: { } text } &&
            double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value) &&
            double.IsFinite(value))
        {
            return value;
        }

        reader.Error(path, "expected a number");
        return null;
    }

    /// <summary>Envoy's Primes::isPrime, as Istio's validation copies it; 1 is refused too, as Maglev needs a skip.</summary>
    private static bool IsPrime(int value)
    {
        if (value is 2 or 3)
        {
            return true;
        }

        if (value < 2 || value % 2 == 0)
        {
            return false;
        }

        for (var factor = 3; (long)factor * factor <= value; factor += 2)
        {
            if (value % factor == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>RFC 9110 token characters (RFC 6265 4.1.1 cookie-name).</summary>
    private static bool IsToken(string value)
    {
        foreach (var c in value)
        {
            if (c > 0x7e || c <= 0x20 || "\"(),/:;<=>?@[\\]{}".Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasControlOrSemicolon(string value)
    {
        foreach (var c in value)
        {
            if (c < 0x20 || c == 0x7f || c == ';')
            {
                return true;
            }
        }

        return false;
    }
}
