using System.Text;
using System.Text.RegularExpressions;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>Istio StringMatch: exactly one of <c>exact</c>, <c>prefix</c>, <c>regex</c>; regexes are RE2 full-string matches.</summary>
internal static class StringMatchParser
{
    // Istio's regexes are RE2, which never backtracks; NonBacktracking gives the same linear-time guarantee and
    // rejects constructs RE2 lacks (backreferences, lookarounds) at load time.
    private const RegexOptions Options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;

    // validateStringRegexp: "regex is too large, max length allowed is 1024" (Go len: UTF-8 bytes), an approximation
    // of Envoy's re2.max_program_size.
    private const int MaxRegexBytes = 1024;

    /// <summary>
    /// Parses a StringMatch; null with <paramref name="valid"/> true means presence (<c>{}</c>, a null value, or
    /// <c>regex: "*"</c> in withoutHeaders: Istio canBeConvertedToPresentMatch), which only key-value sites allow.
    /// </summary>
    public static StringMatchConfig? Parse(YamlNode? node, string path, NodeReader reader, StringMatchSite site, out bool valid)
    {
        valid = true;
        var allowEmpty = site is StringMatchSite.KeyValue or StringMatchSite.WithoutHeader;
        var errorsBefore = reader.ErrorCount;
        var fields = reader.Mapping(node, path, ["exact", "prefix", "regex"]);
        if (fields is null)
        {
            valid = NodeReader.IsNull(node);
            return null;
        }

        var count = (fields.Has("exact") ? 1 : 0) + (fields.Has("prefix") ? 1 : 0) + (fields.Has("regex") ? 1 : 0);
        if (count == 0)
        {
            if (node is YamlMappingNode { Children.Count: 0 })
            {
                // "{}": presence only where allowed (headers, withoutHeaders, query parameters).
                if (!allowEmpty)
                {
                    reader.Error(path, "one of exact, prefix or regex is required");
                    valid = false;
                }
            }
            else
            {
                // Unknown keys were reported by Mapping; a key with a null value was not.
                if (reader.ErrorCount == errorsBefore)
                {
                    reader.Error(path, "exact, prefix or regex must have a value");
                }

                valid = false;
            }

            return null;
        }

        if (count > 1)
        {
            reader.Error(path, "only one of exact, prefix or regex may be set");
            valid = false;
            return null;
        }

        if (fields.Has("exact"))
        {
            var exact = reader.String(fields["exact"], fields.PathOf("exact"));
            valid = exact is not null;
            return exact is null ? null : new StringMatchConfig(StringMatchKind.Exact, exact, null);
        }

        if (fields.Has("prefix"))
        {
            var prefix = reader.String(fields["prefix"], fields.PathOf("prefix"));
            if (prefix is { Length: 0 } && site != StringMatchSite.Uri)
            {
                // validateStringMatch: "prefix string match should not be empty" (Envoy's StringMatcher prefix has
                // min_len 1; only the route's path prefix may be empty).
                reader.Error(fields.PathOf("prefix"), "prefix string match should not be empty");
                prefix = null;
            }

            valid = prefix is not null;
            return prefix is null ? null : new StringMatchConfig(StringMatchKind.Prefix, prefix, null);
        }

        var pattern = reader.String(fields["regex"], fields.PathOf("regex"));
        if (pattern == "*" && site == StringMatchSite.WithoutHeader)
        {
            // "`*` is NOT a RE2 style regex, it will be translated as present_match" (validateHTTPRouteMatchRequest,
            // canBeConvertedToPresentMatch). Elsewhere validation compiles it and fails.
            return null;
        }

        var regex = pattern is null ? null : CompileRegex(pattern, fields.PathOf("regex"), reader, ignoreCase: false);
        valid = regex is not null;
        return regex is null ? null : new StringMatchConfig(StringMatchKind.Regex, pattern!, regex);
    }

    public static Regex? CompileRegex(string pattern, string path, NodeReader reader, bool ignoreCase)
    {
        if (pattern.Length == 0)
        {
            reader.Error(path, "regex must not be empty");
            return null;
        }

        if (Encoding.UTF8.GetByteCount(pattern) > MaxRegexBytes)
        {
            reader.Error(path, $"regex is too large, max length allowed is {MaxRegexBytes}");
            return null;
        }

        // Full-string match, as Envoy's safe_regex does.
        var anchored = "^(?:" + pattern + ")$";
        var key = ignoreCase ? "i:" + anchored : "c:" + anchored;
        try
        {
            return RegexCache.GetOrCreate(key, () =>
            {
                // The pattern alone first, as Go's regexp.Compile sees it: an unbalanced ")" would otherwise close the
                // wrapper's group and leave the rest unanchored ("/x)|(/y" becomes "^(?:/x)|(/y)$"). Parsing is all this
                // needs, so the cheap interpreted construction does; constructs RE2 lacks fail the NonBacktracking one.
                _ = new Regex(pattern, RegexOptions.CultureInvariant);
                return new Regex(anchored, ignoreCase ? Options | RegexOptions.IgnoreCase : Options);
            });
        }
        catch (ArgumentException ex)
        {
            reader.Error(path, $"invalid regex \"{pattern}\": {ex.Message}");
        }
        catch (NotSupportedException ex)
        {
            reader.Error(path, $"invalid regex \"{pattern}\" (RE2 syntax has no backreferences, lookarounds or atomic groups): {ex.Message}");
        }

        return null;
    }
}
