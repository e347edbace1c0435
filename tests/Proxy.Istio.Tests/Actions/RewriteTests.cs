using Proxy.Engine.Routing;
using static Proxy.Istio.Tests.Actions.ActionYaml;

namespace Proxy.Istio.Tests.Actions;

/// <summary>
/// HTTPRewrite (virtual_service.proto): "uri: rewrite the path (or the prefix) portion of the URI with this value. If
/// the original URI was matched based on prefix, the value provided in this field will replace the corresponding
/// matched prefix." Istio sets Envoy's prefix_rewrite on the route of each match block (route.go
/// applyHTTPRouteDestination), which swaps "the matched prefix (or path)".
/// </summary>
public sealed class RewriteTests
{
    private static (PathRewriteKind Kind, string Match, string Replacement, bool IgnoreCase) Describe(PathRewrite? rewrite)
    {
        Assert.NotNull(rewrite);
        return (rewrite.Kind, rewrite.Match, rewrite.Replacement, rewrite.IgnoreCase);
    }

    [Fact]
    public void Build_UriWithPrefixMatch_ReplacesThatPrefix()
    {
        var route = Route(ToV1("    match: [{uri: {prefix: /ratings}}]\n    rewrite: {uri: /v1/bookRatings}"), "/ratings/1");

        Assert.Equal((PathRewriteKind.Prefix, "/ratings", "/v1/bookRatings", false), Describe(route.PathRewrite));
        Assert.Equal(V1, TestConfig.ClusterOf(route));
    }

    // TranslateRouteMatch sets case_sensitive false with ignoreUriCase; Envoy then swaps the prefix whatever its case.
    [Fact]
    public void Build_UriWithCaseInsensitivePrefix_IgnoreCase()
    {
        var route = Route(ToV1("    match: [{uri: {prefix: /Ratings}, ignoreUriCase: true}]\n    rewrite: {uri: /v1}"), "/RATINGS");

        Assert.Equal((PathRewriteKind.Prefix, "/Ratings", "/v1", true), Describe(route.PathRewrite));
    }

    // An exact (path) or regex (safe_regex) route has matched the whole path, which prefix_rewrite swaps.
    [Theory]
    [InlineData("{uri: {exact: /v1/getProductRatings}}", "/v1/getProductRatings")]
    [InlineData("{uri: {regex: \"/v[0-9]+/ratings\"}}", "/v2/ratings")]
    public void Build_UriWithExactOrRegexMatch_ReplacesWholePath(string match, string target)
    {
        var route = Route(ToV1($"    match: [{match}]\n    rewrite: {{uri: /bookRatings}}"), target);

        Assert.Equal((PathRewriteKind.Path, "", "/bookRatings", false), Describe(route.PathRewrite));
    }

    // Without a uri condition Istio's route matches "prefix: /" (TranslateRouteMatch's default), so "/" is swapped.
    [Theory]
    [InlineData("")]
    [InlineData("    match: [{headers: {x-canary: {exact: \"true\"}}}]\n")]
    public void Build_UriWithoutUriMatch_ReplacesLeadingSlash(string match)
    {
        var route = Route(ToV1(match + "    rewrite: {uri: /v2/}"), "/x", ("x-canary", "true"));

        Assert.Equal((PathRewriteKind.Prefix, "/", "/v2/", false), Describe(route.PathRewrite));
    }

    // One Envoy route per match block: a uri rewrite makes one HttpRoute per block, each with the prefix it matched.
    [Fact]
    public void Build_UriWithSeveralPrefixMatches_OneRoutePerMatchBlock()
    {
        var config = BuildValid(ToV1("    name: api\n    match: [{uri: {prefix: /a}}, {uri: {exact: /b}}, {headers: {x: {}}}]\n    rewrite: {uri: /new}"));

        var a = Route(config, "/a/1");
        var b = Route(config, "/b");
        var header = Route(config, "/c", ("x", "1"));

        Assert.Equal((PathRewriteKind.Prefix, "/a", "/new", false), Describe(a.PathRewrite));
        Assert.Equal((PathRewriteKind.Path, "", "/new", false), Describe(b.PathRewrite));
        Assert.Equal((PathRewriteKind.Prefix, "/", "/new", false), Describe(header.PathRewrite));
        Assert.Equal(["api", "api", "api"], new[] { a.Name, b.Name, header.Name });
        Assert.Same(a.Destinations[0].Cluster, b.Destinations[0].Cluster);
    }

    // Without anything that depends on the match block, all blocks share one route.
    [Fact]
    public void Build_AuthorityRewriteWithSeveralMatches_OneSharedRoute()
    {
        var config = BuildValid(ToV1("    match: [{uri: {prefix: /a}}, {uri: {prefix: /b}}]\n    rewrite: {authority: internal.example.com}"));

        var a = Route(config, "/a");
        Assert.Same(a, Route(config, "/b"));
        Assert.Equal("internal.example.com", a.AuthorityRewrite);
        Assert.Null(a.PathRewrite);
    }

    // HTTPMatchRequest.name: "The route's name will be concatenated with the match's name" (TranslateRoute: name.match).
    [Fact]
    public void Build_MatchNames_AppendedToRouteName()
    {
        var config = BuildValid(ToV1("    name: reviews\n    match: [{name: v1-api, uri: {prefix: /v1}}, {uri: {prefix: /v2}}]"));

        Assert.Equal("reviews.v1-api", Route(config, "/v1").Name);
        Assert.Equal("reviews", Route(config, "/v2").Name);
    }

    // RegexRewrite: "Capture groups in the pattern can be referenced in the new URI" (the proto's example
    // "/customprefix/\2/\1"). Envoy's regex_rewrite keeps RE2's \N group syntax, which the data path converts.
    [Fact]
    public void Build_UriRegexRewrite_RegexAndSubstitutionKept()
    {
        var route = Route(ToV1("    rewrite: {uriRegexRewrite: {match: \"^/service/([^/]+)/(.*)$\", rewrite: \"/customprefix/\\\\2/\\\\1\"}}"));

        var rewrite = route.PathRewrite!;
        Assert.Equal(PathRewriteKind.Regex, rewrite.Kind);
        Assert.Equal("/customprefix/\\2/\\1", rewrite.Replacement);
        Assert.Equal("/customprefix/v1/api/update", rewrite.Regex!.Replace("/service/update/v1/api", "/customprefix/$2/$1"));
    }

    // "Path pattern "/aaa/XxX/bbb" with match "(?i)/xxx/" and a rewrite string of /yyy/ would do a case-insensitive
    // match and transform the path to "/aaa/yyy/bbb"": the regex is not anchored, and every match is replaced.
    [Fact]
    public void Build_UriRegexRewrite_NotAnchored()
    {
        var rewrite = Route(ToV1("    rewrite: {uriRegexRewrite: {match: \"(?i)/xxx/\", rewrite: /yyy/}}")).PathRewrite!;

        Assert.Equal("/aaa/yyy/bbb", rewrite.Regex!.Replace("/aaa/XxX/bbb", rewrite.Replacement));
    }

    // validateHTTPRewrite / validateURIRegexRewrite / validateStringRegexp.
    [Theory]
    [InlineData("    rewrite: {uri: /a, uriRegexRewrite: {match: a, rewrite: b}}", "spec.http[0].rewrite: only one of uri and uriRegexRewrite may be set")]
    [InlineData("    rewrite: {}", "spec.http[0].rewrite: must set uri, uriRegexRewrite or authority")]
    [InlineData("    rewrite: {uriRegexRewrite: {match: \"^/a\"}}", "spec.http[0].rewrite.uriRegexRewrite: both match and rewrite are required")]
    [InlineData("    rewrite: {uriRegexRewrite: {match: \"/a(\", rewrite: /b}}", "spec.http[0].rewrite.uriRegexRewrite.match: invalid regex \"/a(\": Invalid pattern '/a(' at offset 3. Not enough )'s.")]
    [InlineData("    rewrite: {uri: \"/a\\nb\"}", "spec.http[0].rewrite.uri: must not contain CR, LF or NUL")]
    public void Build_InvalidRewrite_Error(string fields, string expected)
    {
        Assert.Equal(expected, Error(ToV1(fields)));
    }

    [Fact]
    public void Build_RegexRewriteTooLong_Error()
    {
        Assert.Equal("spec.http[0].rewrite.uriRegexRewrite.match: regex is too large, max length allowed is 1024",
            Error(ToV1($"    rewrite: {{uriRegexRewrite: {{match: \"{new string('a', 1025)}\", rewrite: /b}}}}")));
    }
}
