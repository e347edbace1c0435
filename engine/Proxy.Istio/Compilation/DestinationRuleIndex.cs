using Proxy.Istio.Hosts;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;

namespace Proxy.Istio.Compilation;

/// <summary>The DestinationRules that apply to one service host, merged.</summary>
/// <param name="Policy">The first (by namespace/name) rule's traffic policy, as Istio keeps only the first.</param>
/// <param name="Subsets">All subsets by name; on a duplicate name the first rule's subset wins.</param>
internal sealed record MergedDestinationRule(TrafficPolicyConfig? Policy, IReadOnlyDictionary<string, SubsetConfig> Subsets);

/// <summary>
/// Finds the DestinationRules for a service host: rules whose host equals it (literally or after qualification),
/// else the rules with the most specific wildcard host covering it. Several rules for one host are merged the way
/// Istio merges them: subsets are united, the first traffic policy is kept.
/// </summary>
internal sealed class DestinationRuleIndex
{
    private readonly List<DestinationRuleConfig> _rules;
    private readonly Diagnostics _diagnostics;
    private readonly Dictionary<string, MergedDestinationRule?> _cache = new(StringComparer.Ordinal);

    public DestinationRuleIndex(IEnumerable<DestinationRuleConfig> rules, Diagnostics diagnostics)
    {
        _rules = [.. rules.OrderBy(static r => r.Meta.SortKey, StringComparer.Ordinal)];
        _diagnostics = diagnostics;
    }

    public MergedDestinationRule? For(ServiceHost host)
    {
        if (_cache.TryGetValue(host.Qualified, out var cached))
        {
            return cached;
        }

        var matching = _rules.Where(r => r.Host == host.Qualified || r.RawHost == host.Raw).ToList();
        if (matching.Count == 0)
        {
            var wildcards = _rules.Where(r => HostName.IsWildcard(r.Host) && HostName.SubsetOf(host.Qualified, r.Host)).ToList();
            if (wildcards.Count > 0)
            {
                var longest = wildcards.Max(static r => r.Host.Length);
                matching = wildcards.Where(r => r.Host.Length == longest).ToList();
            }
        }

        var merged = matching.Count == 0 ? null : Merge(matching);
        _cache[host.Qualified] = merged;
        return merged;
    }

    private MergedDestinationRule Merge(List<DestinationRuleConfig> rules)
    {
        TrafficPolicyConfig? policy = null;
        var subsets = new Dictionary<string, SubsetConfig>(StringComparer.Ordinal);
        var owners = new Dictionary<string, DestinationRuleConfig>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            if (rule.TrafficPolicy is not null)
            {
                if (policy is null)
                {
                    policy = rule.TrafficPolicy;
                }
                else
                {
                    _diagnostics.Warning(rule.Meta.Location, "spec.trafficPolicy",
                        $"ignored: {rules.First(static r => r.TrafficPolicy is not null).Meta.Ref} already sets the traffic policy for {rule.Host}");
                }
            }

            for (var i = 0; i < rule.Subsets.Count; i++)
            {
                var subset = rule.Subsets[i];
                if (owners.TryGetValue(subset.Name, out var owner))
                {
                    _diagnostics.Warning(rule.Meta.Location, $"spec.subsets[{i}].name",
                        $"subset \"{subset.Name}\" is also defined by {owner.Meta.Ref}, which wins");
                    continue;
                }

                owners[subset.Name] = rule;
                subsets[subset.Name] = subset;
            }
        }

        return new MergedDestinationRule(policy, subsets);
    }
}
