using System.Text.RegularExpressions;

namespace Proxy.Engine.Routing;

/// <summary>
/// How a route rewrites the request path before forwarding (Envoy <c>prefix_rewrite</c> and <c>regex_rewrite</c>,
/// Istio <c>HTTPRewrite.uri</c> and <c>uriRegexRewrite</c>). The query string is kept as sent.
/// </summary>
public sealed class PathRewrite
{
    private PathRewrite(PathRewriteKind kind, string match, string replacement, Regex? regex, bool ignoreCase)
    {
        Kind = kind;
        Match = match;
        Replacement = replacement;
        Regex = regex;
        IgnoreCase = ignoreCase;
    }

    public PathRewriteKind Kind { get; }

    /// <summary>The prefix replaced (<see cref="PathRewriteKind.Prefix"/>); empty otherwise.</summary>
    public string Match { get; }

    /// <summary>The new prefix or path, or the regex substitution (with <c>\1</c>-style group references).</summary>
    public string Replacement { get; }

    public Regex? Regex { get; }

    public bool IgnoreCase { get; }

    /// <summary>Replace the leading <paramref name="prefix"/> (the one the route matched) with <paramref name="replacement"/>.</summary>
    public static PathRewrite ReplacePrefix(string prefix, string replacement, bool ignoreCase = false)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(replacement);
        return new(PathRewriteKind.Prefix, prefix, replacement, null, ignoreCase);
    }

    /// <summary>Replace the whole path (a route matched on the exact path or a regex).</summary>
    public static PathRewrite ReplacePath(string replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        return new(PathRewriteKind.Path, "", replacement, null, false);
    }

    /// <summary>Replace every match of <paramref name="pattern"/> in the path with <paramref name="substitution"/>, which
    /// may refer to groups as <c>\1</c> (RE2/Envoy style).</summary>
    public static PathRewrite ReplaceRegex(Regex pattern, string substitution)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(substitution);
        return new(PathRewriteKind.Regex, "", substitution, pattern, false);
    }
}

public enum PathRewriteKind
{
    Prefix,
    Path,
    Regex,
}
