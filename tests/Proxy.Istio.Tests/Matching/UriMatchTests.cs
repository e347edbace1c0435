using static Proxy.Istio.Tests.Matching.MatchTable;

namespace Proxy.Istio.Tests.Matching;

/// <summary>HTTPMatchRequest.uri (virtual_service.proto): "URI to match; values are case-sensitive": exact, prefix or
/// RE2 regex. Istio translates it to Envoy's RouteMatch path / prefix / safe_regex (pilot route.go TranslateRouteMatch).</summary>
public sealed class UriMatchTests
{
    [Theory]
    // exact: Envoy RouteMatch.path: "the path must exactly match the :path header once the query string is removed".
    [InlineData("{exact: /a}", "/a", true)]
    [InlineData("{exact: /a}", "/a?x=1", true)]
    [InlineData("{exact: /a}", "/a/", false)]
    [InlineData("{exact: /a}", "/ab", false)]
    // "values are case-sensitive" (ignoreUriCase is off by default).
    [InlineData("{exact: /a}", "/A", false)]
    // prefix: a VirtualService prefix is Envoy's plain RouteMatch.prefix (path_separated_prefix is only used for
    // Gateway API / Ingress semantics), so /api also matches /apix.
    [InlineData("{prefix: /api}", "/api", true)]
    [InlineData("{prefix: /api}", "/api/v1", true)]
    [InlineData("{prefix: /api}", "/apix", true)]
    [InlineData("{prefix: /api}", "/ap", false)]
    [InlineData("{prefix: /api}", "/API", false)]
    [InlineData("{prefix: /api/}", "/api", false)]
    [InlineData("{prefix: /}", "/anything/at/all", true)]
    // The query string is not part of the path a prefix sees.
    [InlineData("{prefix: \"/a?x\"}", "/a?x=1", false)]
    public void Route_UriExactOrPrefix_MatchesPathWithoutQuery(string uri, string target, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch($"[{{uri: {uri}}}]"), target));
    }

    [Theory]
    // regex: "RE2 style regex-based match"; Envoy safe_regex matches "the entire path (without the query string)":
    // a full-string match, so regex "/a" does not match /ab.
    [InlineData("/a", "/a", true)]
    [InlineData("/a", "/ab", false)]
    [InlineData("/a", "/x/a", false)]
    [InlineData("/users/[0-9]+", "/users/42", true)]
    [InlineData("/users/[0-9]+", "/users/42/orders", false)]
    [InlineData("/users/[0-9]+", "/users/", false)]
    [InlineData("[0-9]+", "/users/42", false)]
    [InlineData(".*", "/anything", true)]
    [InlineData("/a.*", "/a?x=1", true)]
    [InlineData(".*x=1", "/a?x=1", false)]
    // Shapes around a leading literal (ValueMatcher skips the regex when a value lacks a pattern's literal prefix):
    // alternation, optional or repeated leading parts and inline options must still match exactly as RE2 does.
    [InlineData("/ab|/cd", "/cd", true)]
    [InlineData("/ab|/cd", "/ab", true)]
    [InlineData("/ab|/cd", "/ax", false)]
    // The whole alternation is anchored (safe_regex matches the full string): neither branch may match a part.
    [InlineData("/ab|/cd", "/abx", false)]
    [InlineData("/ab|/cd", "/x/cd", false)]
    [InlineData("(/a)?/b", "/b", true)]
    [InlineData("(/a)*/b", "/a/a/b", true)]
    [InlineData("/ab*", "/a", true)]
    [InlineData("/ab?c", "/ac", true)]
    [InlineData("/ab{0,1}c", "/ac", true)]
    [InlineData("/ab+", "/abbb", true)]
    [InlineData("/ab+", "/a", false)]
    [InlineData("(?i)/abc", "/ABC", true)]
    [InlineData("/a(?i:BC)", "/abc", true)]
    [InlineData("/a(?i:BC)", "/Abc", false)]
    [InlineData("/api/(v1|v2)/x", "/api/v2/x", true)]
    [InlineData("/api/(v1|v2)/x", "/api/v3/x", false)]
    [InlineData("(/a|/b)/c", "/b/c", true)]
    [InlineData("\\/a", "/a", true)]
    [InlineData("/v[12]/.*", "/v2/x", true)]
    [InlineData("/v[12]/.*", "/v3/x", false)]
    [InlineData("[/]x", "/x", true)]
    public void Route_UriRegex_FullStringMatchOfPath(string regex, string target, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch($"[{{uri: {{regex: \"{regex.Replace("\\", "\\\\", StringComparison.Ordinal)}\"}}}}]"), target));
    }
}
