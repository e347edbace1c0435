using System.Text;
using Proxy.Engine.Routing;
using Proxy.Istio.Model;
using Proxy.Istio.Routing;

namespace Proxy.Istio.Compilation;

/// <summary>Turns validated match config into allocation-free runtime matchers.</summary>
internal static class MatcherCompiler
{
    public static RequestMatcher Compile(HttpMatchConfig match) => new()
    {
        // Envoy RouteMatch.case_sensitive = !ignoreUriCase: "Ignored for safe_regex matching".
        Uri = Compile(match.Uri, match.IgnoreUriCase),
        Scheme = Compile(match.Scheme, ignoreCase: false),
        Method = Compile(match.Method, ignoreCase: false),
        Authority = Compile(match.Authority, ignoreCase: false),
        Headers = CompileHeaders(match.Headers, without: false),
        WithoutHeaders = CompileHeaders(match.WithoutHeaders, without: true),
        QueryParams = CompileQueryParams(match.QueryParams),
    };

    /// <summary>
    /// Istio TranslateRouteMatch: <c>withoutHeaders</c> become inverted matchers that read a missing header as ""
    /// (<c>treat_missing_header_as_empty</c>) unless they only test presence.
    /// </summary>
    private static HeaderCondition[] CompileHeaders(IReadOnlyList<KeyValueMatchConfig> headers, bool without)
    {
        var result = new HeaderCondition[headers.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var header = headers[i];
            result[i] = new HeaderCondition(Encoding.UTF8.GetBytes(header.Name), SourceOf(header.Name),
                Compile(header.Match, ignoreCase: false), missingAsEmpty: without);
        }

        return result;
    }

    /// <summary>
    /// Istio accepts the pseudo-headers as header names (validation pseudoHeaders) and Envoy matches them against the
    /// request line; Envoy's HTTP/1 codec stores Host as <c>:authority</c>, so <c>host</c> is never a header there.
    /// </summary>
    private static HeaderCondition.ValueSource SourceOf(string name) => name switch
    {
        ":authority" => HeaderCondition.ValueSource.Authority,
        ":method" => HeaderCondition.ValueSource.Method,
        ":scheme" => HeaderCondition.ValueSource.Scheme,
        ":path" => HeaderCondition.ValueSource.Path,
        "host" => HeaderCondition.ValueSource.Absent,
        _ => HeaderCondition.ValueSource.Field,
    };

    private static KeyValueCondition[] CompileQueryParams(IReadOnlyList<KeyValueMatchConfig> queryParams)
    {
        var result = new KeyValueCondition[queryParams.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var query = queryParams[i];
            result[i] = new KeyValueCondition(Encoding.UTF8.GetBytes(query.Name), Compile(query.Match, ignoreCase: false) ?? ValueMatcher.Any);
        }

        return result;
    }

    private static ValueMatcher? Compile(StringMatchConfig? match, bool ignoreCase) => match?.Kind switch
    {
        null => null,
        StringMatchKind.Exact => ValueMatcher.Exact(match.Value, ignoreCase),
        StringMatchKind.Prefix => ValueMatcher.Prefix(match.Value, ignoreCase),
        _ => ValueMatcher.FromRegex(match.Regex!),
    };
}
