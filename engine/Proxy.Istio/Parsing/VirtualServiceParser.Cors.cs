using Proxy.Engine.Routing;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>CorsPolicy, checked as Istio's validateCORSPolicy and translated as route.go TranslateCORSPolicy.</summary>
internal static partial class VirtualServiceParser
{
    /// <summary>validateCORSHTTPMethod: Go's method constants and <c>*</c>.</summary>
    private static readonly string[] CorsMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"];

    private static CorsPolicy? ParseCorsPolicy(YamlNode? node, string path, NodeReader reader)
    {
        var errors = reader.ErrorCount;
        var fields = reader.Mapping(node, path,
            ["allowOrigins", "allowOrigin", "allowMethods", "allowHeaders", "exposeHeaders", "maxAge", "allowCredentials", "unmatchedPreflights"]);
        if (fields is null)
        {
            return null;
        }

        var origins = ParseAllowOrigins(fields["allowOrigins"], fields.PathOf("allowOrigins"), reader);
        if (fields.Has("allowOrigin"))
        {
            reader.Warning(fields.PathOf("allowOrigin"), "deprecated; use allowOrigins");
            var exact = reader.StringList(fields["allowOrigin"], fields.PathOf("allowOrigin")) ?? [];

            // TranslateCORSPolicy uses allowOrigin (as exact matches) only when allowOrigins is empty.
            if (origins.Count == 0)
            {
                origins = [.. exact.Select(static o => OriginMatcher(ValueMatcher.Exact(o.Value)))];
            }
        }

        var methods = JoinList(fields, "allowMethods", reader, static m => Array.IndexOf(CorsMethods, m) >= 0 ? null : $"\"{m}\" is not a supported HTTP method");
        var headers = JoinList(fields, "allowHeaders", reader, CorsHeaderProblem);
        var expose = JoinList(fields, "exposeHeaders", reader, CorsHeaderProblem);
        TimeSpan? maxAge = null;
        if (fields.Has("maxAge"))
        {
            maxAge = reader.Duration(fields["maxAge"], fields.PathOf("maxAge"));
            if (maxAge is { } age && age.Ticks % TimeSpan.TicksPerSecond != 0)
            {
                // Access-Control-Max-Age is in seconds; Istio refuses a fraction.
                reader.Error(fields.PathOf("maxAge"), "max_age duration is accurate only to seconds precision");
            }
        }

        var credentials = reader.Bool(fields["allowCredentials"], fields.PathOf("allowCredentials")) ?? false;
        var unmatched = reader.Enum(fields["unmatchedPreflights"], fields.PathOf("unmatchedPreflights"), ["UNSPECIFIED", "FORWARD", "IGNORE"]);
        if (reader.ErrorCount > errors)
        {
            return null;
        }

        return new CorsPolicy
        {
            AllowOrigins = origins,
            AllowMethods = methods,
            AllowHeaders = headers,
            ExposeHeaders = expose,
            MaxAge = maxAge,
            AllowCredentials = credentials,

            // "Default is forward to upstream" (UNSPECIFIED and FORWARD); IGNORE answers them at the gateway.
            ForwardUnmatchedPreflights = unmatched != "IGNORE",
        };
    }

    /// <summary><c>allowOrigins</c>: StringMatches, none empty (validateAllowOrigins).</summary>
    private static List<ValueMatcher> ParseAllowOrigins(YamlNode? node, string path, NodeReader reader)
    {
        var result = new List<ValueMatcher>();
        foreach (var (item, itemPath) in reader.Sequence(node, path) ?? [])
        {
            var match = StringMatchParser.Parse(item, itemPath, reader, StringMatchSite.Attribute, out var valid);
            if (!valid || match is null)
            {
                if (valid)
                {
                    reader.Error(itemPath, "must not be null");
                }

                continue;
            }

            if (match.Value.Length == 0)
            {
                reader.Error(itemPath, "an empty string is not a valid CORS origin match");
                continue;
            }

            result.Add(OriginMatcher(match.Kind switch
            {
                StringMatchKind.Exact => ValueMatcher.Exact(match.Value),
                StringMatchKind.Prefix => ValueMatcher.Prefix(match.Value),
                _ => ValueMatcher.FromRegex(match.Regex!),
            }));
        }

        return result;
    }

    /// <summary>
    /// Envoy's CORS filter allows an origin when a matcher matches it or matches <c>*</c> (cors_filter.cc
    /// isOriginAllowed), so <c>exact: "*"</c> (or <c>regex: ".*"</c>) allows every origin.
    /// </summary>
    private static ValueMatcher OriginMatcher(ValueMatcher matcher) => matcher.Matches("*"u8) ? ValueMatcher.Any : matcher;

    /// <summary>ValidateCORSHTTPHeaderName: <c>*</c> or an HTTP token.</summary>
    private static string? CorsHeaderProblem(string name) =>
        name == "*" ? null : HeaderOperations.Problem(name, string.Empty);

    /// <summary>A list of strings joined with "," as TranslateCORSPolicy does; null when empty (Envoy omits the header).</summary>
    private static string? JoinList(Fields fields, string key, NodeReader reader, Func<string, string?> problem)
    {
        var values = reader.StringList(fields[key], fields.PathOf(key));
        if (values is null || values.Count == 0)
        {
            return null;
        }

        foreach (var (value, itemPath) in values)
        {
            if (problem(value) is { } message)
            {
                reader.Error(itemPath, message);
            }
        }

        return string.Join(",", values.Select(static v => v.Value));
    }
}
