using Proxy.Istio.Model;

namespace Proxy.Istio.Compilation;

/// <summary>
/// Merges a root VirtualService's <c>delegate</c> route with one route of the delegate VirtualService, as Istio's
/// pilot/pkg/model/virtualservice.go mergeHTTPRoute does: the delegate's match blocks are ANDed with the root's, and
/// the delegate route inherits each action field it leaves unset from the root.
/// </summary>
/// <remarks>
/// "The delegate's HTTPMatchRequest must be a strict subset of the root's, otherwise there is a conflict and the
/// HTTPRoute will not take effect" (virtual_service.proto). Each delegate match block is merged with every root match
/// block it does not conflict with; a delegate block that conflicts with all of them drops the whole delegate route.
/// </remarks>
internal static class DelegateMerge
{
    /// <summary>The merged route, or null when the delegate route's matches conflict with the root's.</summary>
    public static HttpRouteConfig? Merge(HttpRouteConfig root, HttpRouteConfig leaf)
    {
        if (MergeMatches(root.Matches, leaf.Matches) is not { } matches)
        {
            return null;
        }

        return leaf with
        {
            Name = JoinNames(root.Name, leaf.Name),
            Matches = matches,
            HasInvalidMatch = root.HasInvalidMatch || leaf.HasInvalidMatch,
            Rewrite = leaf.Rewrite ?? root.Rewrite,
            DirectResponse = leaf.DirectResponse ?? root.DirectResponse,
            Fault = leaf.Fault ?? root.Fault,
            Mirror = leaf.Mirror ?? root.Mirror,
            MirrorPercent = leaf.MirrorPercent ?? root.MirrorPercent,
            MirrorPercentage = leaf.MirrorPercentage ?? root.MirrorPercentage,
            Cors = leaf.Cors ?? root.Cors,
            Timeout = leaf.Timeout ?? root.Timeout,
            Retries = leaf.Retries ?? root.Retries,
            Mirrors = leaf.Mirrors is { Count: > 0 } ? leaf.Mirrors : root.Mirrors,
            Headers = leaf.Headers ?? root.Headers,
        };
    }

    /// <summary>Istio mergeHTTPMatchRequests; null on conflict.</summary>
    private static List<HttpMatchConfig>? MergeMatches(IReadOnlyList<HttpMatchConfig> root, IReadOnlyList<HttpMatchConfig> leaf)
    {
        if (root.Count == 0)
        {
            return [.. leaf];
        }

        if (leaf.Count == 0)
        {
            return [.. root];
        }

        var merged = new List<HttpMatchConfig>();
        foreach (var leafMatch in leaf)
        {
            var found = false;
            foreach (var rootMatch in root)
            {
                if (!Conflicts(rootMatch, leafMatch))
                {
                    merged.Add(MergeMatch(rootMatch, leafMatch));
                    found = true;
                }
            }

            if (!found)
            {
                return null;
            }
        }

        return merged;
    }

    /// <summary>Istio mergeHTTPMatchRequest: the delegate's conditions, with the root's where the delegate has none.</summary>
    private static HttpMatchConfig MergeMatch(HttpMatchConfig root, HttpMatchConfig leaf) => leaf with
    {
        Name = JoinNames(root.Name, leaf.Name),
        Uri = leaf.Uri ?? root.Uri,
        Scheme = leaf.Scheme ?? root.Scheme,
        Method = leaf.Method ?? root.Method,
        Authority = leaf.Authority ?? root.Authority,
        Headers = MergeByName(root.Headers, leaf.Headers),
        WithoutHeaders = MergeByName(root.WithoutHeaders, leaf.WithoutHeaders),
        QueryParams = MergeByName(root.QueryParams, leaf.QueryParams),
        Port = leaf.Port ?? root.Port,
        SourceLabels = MergeLabels(root.SourceLabels, leaf.SourceLabels),
        SourceNamespace = leaf.SourceNamespace ?? root.SourceNamespace,
        Gateways = leaf.Gateways ?? root.Gateways,
        GatewaysIncludeMesh = leaf.Gateways is null ? root.GatewaysIncludeMesh : leaf.GatewaysIncludeMesh,
    };

    /// <summary>Istio hasConflict: whether a delegate match block can match outside the root's block.</summary>
    private static bool Conflicts(HttpMatchConfig root, HttpMatchConfig leaf)
    {
        if (Conflicts(root.Uri, leaf.Uri) || Conflicts(root.Scheme, leaf.Scheme) ||
            Conflicts(root.Method, leaf.Method) || Conflicts(root.Authority, leaf.Authority))
        {
            return true;
        }

        if (Conflicts(root.Headers, leaf.Headers) || Conflicts(root.WithoutHeaders, leaf.WithoutHeaders) || Conflicts(root.QueryParams, leaf.QueryParams))
        {
            return true;
        }

        if (root.IgnoreUriCase != leaf.IgnoreUriCase || (root.Port is { } a && leaf.Port is { } b && a != b))
        {
            return true;
        }

        if (root.SourceNamespace is not null && leaf.SourceNamespace != root.SourceNamespace)
        {
            return true;
        }

        foreach (var (key, value) in leaf.SourceLabels ?? new Dictionary<string, string>())
        {
            if (root.SourceLabels is not null && root.SourceLabels.TryGetValue(key, out var rootValue) && rootValue != value)
            {
                return true;
            }
        }

        // "root should have superset of gateways" (mesh counts as a name).
        if (GatewayCount(root) > 0 && GatewayCount(leaf) > 0)
        {
            if (GatewayCount(root) < GatewayCount(leaf) || (leaf.GatewaysIncludeMesh && !root.GatewaysIncludeMesh) ||
                leaf.Gateways!.Any(g => !root.Gateways!.Contains(g)))
            {
                return true;
            }
        }

        return false;
    }

    private static int GatewayCount(HttpMatchConfig match) => (match.Gateways?.Count ?? 0) + (match.GatewaysIncludeMesh ? 1 : 0);

    /// <summary>A delegate condition on a header or query parameter conflicts with the root's condition on the same name.</summary>
    private static bool Conflicts(IReadOnlyList<KeyValueMatchConfig> root, IReadOnlyList<KeyValueMatchConfig> leaf)
    {
        foreach (var condition in leaf)
        {
            foreach (var rootCondition in root)
            {
                if (rootCondition.Name == condition.Name && Conflicts(rootCondition, condition))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>A presence-only condition (<c>{}</c>) is a StringMatch without a kind in Istio: it conflicts with any
    /// condition on the same name.</summary>
    private static bool Conflicts(KeyValueMatchConfig root, KeyValueMatchConfig leaf) =>
        root.Match is null || leaf.Match is null || Conflicts(root.Match, leaf.Match);

    /// <summary>
    /// Istio stringMatchConflict: no conflict when either side is unset; a regex on either side conflicts with any
    /// other condition; under an exact root only the same exact value fits; under a prefix root only a prefix or exact
    /// value that starts with it.
    /// </summary>
    private static bool Conflicts(StringMatchConfig? root, StringMatchConfig? leaf)
    {
        if (root is null || leaf is null)
        {
            return false;
        }

        if (root.Value.Length == 0 || leaf.Value.Length == 0 || root.Kind == StringMatchKind.Regex || leaf.Kind == StringMatchKind.Regex)
        {
            // Istio treats an empty exact or prefix as no value of that kind, which falls through to "conflict".
            return true;
        }

        return root.Kind switch
        {
            StringMatchKind.Exact => leaf.Kind != StringMatchKind.Exact || leaf.Value != root.Value,
            _ => !leaf.Value.StartsWith(root.Value, StringComparison.Ordinal),
        };
    }

    /// <summary>Istio maps.MergeCopy: the root's conditions, each replaced by the delegate's of the same name, then the delegate's others.</summary>
    private static List<KeyValueMatchConfig> MergeByName(IReadOnlyList<KeyValueMatchConfig> root, IReadOnlyList<KeyValueMatchConfig> leaf)
    {
        var merged = new List<KeyValueMatchConfig>(root.Count + leaf.Count);
        foreach (var condition in root)
        {
            merged.Add(leaf.FirstOrDefault(l => l.Name == condition.Name) ?? condition);
        }

        merged.AddRange(leaf.Where(l => !root.Any(r => r.Name == l.Name)));
        return merged;
    }

    private static Dictionary<string, string>? MergeLabels(IReadOnlyDictionary<string, string>? root, IReadOnlyDictionary<string, string>? leaf)
    {
        if (root is null && leaf is null)
        {
            return null;
        }

        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in root ?? new Dictionary<string, string>())
        {
            merged[key] = value;
        }

        foreach (var (key, value) in leaf ?? new Dictionary<string, string>())
        {
            merged[key] = value;
        }

        return merged;
    }

    /// <summary>Istio names a merged route or match <c>root-delegate</c>, or whichever is set.</summary>
    private static string? JoinNames(string? root, string? leaf) =>
        leaf is null ? root : root is null ? leaf : root + "-" + leaf;
}
