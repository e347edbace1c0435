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

    /// <summary>Parses a StringMatch; <paramref name="allowEmpty"/> lets <c>{}</c> mean "present" (headers, query params).</summary>
    public static StringMatchConfig? Parse(YamlNode? node, string path, NodeReader reader, bool allowEmpty, out bool valid, bool allowPrefix = true)
    {
        valid = true;
        var fields = reader.Mapping(node, path, ["exact", "prefix", "regex"]);
        if (fields is null)
        {
            valid = NodeReader.IsNull(node);
            return null;
        }

        var count = (fields.Has("exact") ? 1 : 0) + (fields.Has("prefix") ? 1 : 0) + (fields.Has("regex") ? 1 : 0);
        if (count == 0)
        {
            if (!allowEmpty)
            {
                reader.Error(path, "one of exact, prefix or regex is required");
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
            if (!allowPrefix)
            {
                reader.Error(fields.PathOf("prefix"), "prefix is not supported here; use exact or regex");
                valid = false;
                return null;
            }

            var prefix = reader.String(fields["prefix"], fields.PathOf("prefix"));
            valid = prefix is not null;
            return prefix is null ? null : new StringMatchConfig(StringMatchKind.Prefix, prefix, null);
        }

        var pattern = reader.String(fields["regex"], fields.PathOf("regex"));
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

        try
        {
            // Full-string match, as Envoy's safe_regex does.
            return new Regex("^(?:" + pattern + ")$", ignoreCase ? Options | RegexOptions.IgnoreCase : Options);
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
