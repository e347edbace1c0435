namespace Proxy.Istio.Hosts;

/// <summary>Istio host-name rules (istio/istio <c>pkg/config/host/name.go</c> and <c>ResolveShortnameToFQDN</c>).</summary>
internal static class HostName
{
    public const string ClusterDomainSuffix = "svc.cluster.local";

    /// <summary>
    /// Qualifies a short name with the object's namespace: <c>reviews</c> in <c>default</c> becomes
    /// <c>reviews.default.svc.cluster.local</c>. Names with a dot and wildcards are left alone (Istio ResolveShortnameToFQDN).
    /// </summary>
    public static string Qualify(string host, string objectNamespace)
    {
        if (host.Length == 0 || host[0] == '*' || host.Contains('.', StringComparison.Ordinal))
        {
            return host;
        }

        return $"{host}.{objectNamespace}.{ClusterDomainSuffix}";
    }

    public static bool IsWildcard(string host) => host.Length > 0 && host[0] == '*';

    /// <summary>
    /// Istio Name.Matches: true when the two (possibly wildcard) names have any host in common. <c>*</c> matches
    /// everything, <c>*.com</c> matches <c>foo.com</c>, <c>*.foo.com</c> does not match <c>foo.com</c>.
    /// </summary>
    public static bool Matches(string a, string b)
    {
        var aWild = IsWildcard(a);
        var bWild = IsWildcard(b);
        if (aWild)
        {
            if (bWild)
            {
                return a.Length < b.Length
                    ? b.AsSpan(1).EndsWith(a.AsSpan(1), StringComparison.OrdinalIgnoreCase)
                    : a.AsSpan(1).EndsWith(b.AsSpan(1), StringComparison.OrdinalIgnoreCase);
            }

            return b.AsSpan().EndsWith(a.AsSpan(1), StringComparison.OrdinalIgnoreCase);
        }

        if (bWild)
        {
            return a.AsSpan().EndsWith(b.AsSpan(1), StringComparison.OrdinalIgnoreCase);
        }

        return string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Istio Name.SubsetOf: every host <paramref name="a"/> names is also named by <paramref name="b"/>.</summary>
    public static bool SubsetOf(string a, string b)
    {
        if (IsWildcard(a))
        {
            return IsWildcard(b) && a.AsSpan(1).EndsWith(b.AsSpan(1), StringComparison.OrdinalIgnoreCase);
        }

        return IsWildcard(b)
            ? a.AsSpan().EndsWith(b.AsSpan(1), StringComparison.OrdinalIgnoreCase)
            : string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Validates a host as Istio's ValidateWildcardDomain does: <c>*</c>, or DNS labels (1-63 of letters, digits and
    /// inner hyphens) where only the left-most label may be <c>*</c>; at most 255 characters. Returns null when valid.
    /// </summary>
    public static string? Validate(string host)
    {
        if (host.Length == 0)
        {
            return "host must not be empty";
        }

        if (host.Length > 255)
        {
            return $"host \"{host}\" is longer than 255 characters";
        }

        if (host == "*")
        {
            return null;
        }

        var labels = host.Split('.');
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labels[i];
            if (i == 0 && label == "*")
            {
                continue;
            }

            if (!IsDnsLabel(label))
            {
                return i == 0 && label.Contains('*', StringComparison.Ordinal)
                    ? $"host \"{host}\": a wildcard must be the whole left-most label (\"*.example.com\")"
                    : $"host \"{host}\" is not a valid DNS name (label \"{label}\")";
            }
        }

        return null;
    }

    /// <summary>RFC 1123 label: 1-63 letters, digits and hyphens, not starting or ending with a hyphen.</summary>
    public static bool IsDnsLabel(string label)
    {
        if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
        {
            return false;
        }

        foreach (var c in label)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return false;
            }
        }

        return true;
    }
}
