using System.Text;
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
        MatchUtf8 = Encoding.UTF8.GetBytes(match);
        ReplacementUtf8 = Encoding.UTF8.GetBytes(replacement);
        RegexSubstitution = regex is null ? "" : ToDotNetSubstitution(replacement);
    }

    public PathRewriteKind Kind { get; }

    /// <summary>The prefix replaced (<see cref="PathRewriteKind.Prefix"/>); empty otherwise.</summary>
    public string Match { get; }

    /// <summary>The new prefix or path, or the regex substitution (with <c>\1</c>-style group references).</summary>
    public string Replacement { get; }

    public Regex? Regex { get; }

    public bool IgnoreCase { get; }

    /// <summary><see cref="Match"/> as UTF-8, compared with the request's path bytes.</summary>
    internal byte[] MatchUtf8 { get; }

    /// <summary><see cref="Replacement"/> as UTF-8, written as is for prefix and whole-path rewrites.</summary>
    internal byte[] ReplacementUtf8 { get; }

    /// <summary><see cref="Replacement"/> in .NET's substitution syntax, for <see cref="Regex.Replace(string, string)"/>.</summary>
    internal string RegexSubstitution { get; }

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

    /// <summary>
    /// Converts an RE2 rewrite string (Envoy's <c>regex_rewrite.substitution</c>: <c>\N</c> is group N, <c>\\</c> a
    /// backslash) into .NET's syntax (<c>${N}</c>, with a literal <c>$</c> written <c>$$</c>).
    /// </summary>
    private static string ToDotNetSubstitution(string re2)
    {
        var sb = new StringBuilder(re2.Length + 8);
        for (var i = 0; i < re2.Length; i++)
        {
            var c = re2[i];
            if (c == '\\' && i + 1 < re2.Length && char.IsAsciiDigit(re2[i + 1]))
            {
                sb.Append("${").Append(re2[++i]).Append('}');
            }
            else if (c == '\\' && i + 1 < re2.Length && re2[i + 1] == '\\')
            {
                sb.Append('\\');
                i++;
            }
            else if (c == '$')
            {
                sb.Append("$$");
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}

public enum PathRewriteKind
{
    Prefix,
    Path,
    Regex,
}
