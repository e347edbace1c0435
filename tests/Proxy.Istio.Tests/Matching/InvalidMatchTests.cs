namespace Proxy.Istio.Tests.Matching;

/// <summary>
/// Match conditions Istio's validation rejects (pkg/config/validation virtualservice.go validateHTTPRouteMatchRequest)
/// are config errors naming the field; the route is not served.
/// </summary>
public sealed class InvalidMatchTests
{
    private static string[] Errors(string match) => TestConfig.Errors(TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
        TestConfig.VirtualService(MatchTable.RouteYaml(MatchTable.Hit, match))));

    [Theory]
    // "RE2 style regex-based match": Istio compiles every regex at validation (validateStringRegexp).
    [InlineData("[{uri: {regex: \"/a(\"}}]", "spec.http[0].match[0].uri.regex: invalid regex \"/a(\"")]
    [InlineData("[{method: {regex: \"*\"}}]", "spec.http[0].match[0].method.regex: invalid regex \"*\"")]
    [InlineData("[{authority: {regex: \"a{2,1}\"}}]", "spec.http[0].match[0].authority.regex: invalid regex \"a{2,1}\"")]
    [InlineData("[{scheme: {regex: \"[a\"}}]", "spec.http[0].match[0].scheme.regex: invalid regex \"[a\"")]
    [InlineData("[{headers: {x-a: {regex: \"(\"}}}]", "spec.http[0].match[0].headers.x-a.regex: invalid regex \"(\"")]
    [InlineData("[{withoutHeaders: {x-a: {regex: \"(\"}}}]", "spec.http[0].match[0].withoutHeaders.x-a.regex: invalid regex \"(\"")]
    [InlineData("[{queryParams: {v: {regex: \"[a\"}}}]", "spec.http[0].match[0].queryParams.v.regex: invalid regex \"[a\"")]
    [InlineData("[{uri: {prefix: /a}}, {uri: {regex: \"/b(\"}}]", "spec.http[0].match[1].uri.regex: invalid regex \"/b(\"")]
    // RE2 has no lookarounds or backreferences (RE2 Syntax wiki: "NOT SUPPORTED").
    [InlineData("[{uri: {regex: \"(?=/a)/ab\"}}]", "spec.http[0].match[0].uri.regex: invalid regex \"(?=/a)/ab\" (RE2 syntax has no backreferences, lookarounds or atomic groups)")]
    [InlineData("[{headers: {x-a: {regex: \"(a)\\\\1\"}}}]", "spec.http[0].match[0].headers.x-a.regex: invalid regex \"(a)\\1\" (RE2 syntax has no backreferences, lookarounds or atomic groups)")]
    [InlineData("[{uri: {regex: \"\"}}]", "spec.http[0].match[0].uri.regex: regex must not be empty")]
    // StringMatch is a oneof: empty for uri, scheme, method or authority (only headers, withoutHeaders and
    // queryParams give "{}" a meaning: presence), or two kinds at once.
    [InlineData("[{uri: {}}]", "spec.http[0].match[0].uri: one of exact, prefix or regex is required")]
    [InlineData("[{scheme: {}}]", "spec.http[0].match[0].scheme: one of exact, prefix or regex is required")]
    [InlineData("[{method: {}}]", "spec.http[0].match[0].method: one of exact, prefix or regex is required")]
    [InlineData("[{authority: {}}]", "spec.http[0].match[0].authority: one of exact, prefix or regex is required")]
    [InlineData("[{headers: {x-a: {exact: a, regex: b}}}]", "spec.http[0].match[0].headers.x-a: only one of exact, prefix or regex may be set")]
    public void Build_InvalidMatch_ErrorWithFieldPath(string match, string expected)
    {
        var error = Assert.Single(Errors(match));

        Assert.StartsWith("test.yaml[3] VirtualService default/vs: " + expected, error, StringComparison.Ordinal);
    }

    [Theory]
    // validateStringMatch: "prefix string match should not be empty" (uri alone allows an empty prefix).
    [InlineData("[{headers: {x-a: {prefix: \"\"}}}]", "spec.http[0].match[0].headers.x-a.prefix")]
    [InlineData("[{authority: {prefix: \"\"}}]", "spec.http[0].match[0].authority.prefix")]
    [InlineData("[{withoutHeaders: {x-a: {prefix: \"\"}}}]", "spec.http[0].match[0].withoutHeaders.x-a.prefix")]
    [InlineData("[{method: {prefix: \"\"}}]", "spec.http[0].match[0].method.prefix")]
    // validateHTTPRouteMatchRequest: "header match x-a cannot be null".
    [InlineData("[{headers: {x-a: }}]", "spec.http[0].match[0].headers.x-a")]
    // ValidateHTTPHeaderNameOrJwtClaimRoute: "header name ... is not a valid header name".
    [InlineData("[{headers: {\"bad name\": {exact: a}}}]", "spec.http[0].match[0].headers.bad name")]
    [InlineData("[{withoutHeaders: {\"x(a)\": {}}}]", "spec.http[0].match[0].withoutHeaders.x(a)")]
    [InlineData("[{headers: {\":other\": {}}}]", "spec.http[0].match[0].headers.:other")]
    // "*" means presence in withoutHeaders only: elsewhere validateStringRegexp compiles it, and Go's regexp fails
    // ("missing argument to repetition operator"), although translateHeaderMatch would have made it presence.
    [InlineData("[{headers: {x-a: {regex: \"*\"}}}]", "spec.http[0].match[0].headers.x-a.regex")]
    [InlineData("[{queryParams: {v: {regex: \"*\"}}}]", "spec.http[0].match[0].queryParams.v.regex")]
    // Go's regexp (RE2 syntax) rejects an unbalanced ')'; here it closes the ^(?:...)$ wrapper and unanchors the rest.
    [InlineData("[{uri: {regex: \"/x)|(/y\"}}]", "spec.http[0].match[0].uri.regex")]
    [InlineData("[{headers: {x-a: {regex: \"a)|(b\"}}}]", "spec.http[0].match[0].headers.x-a.regex")]
    public void Build_InvalidInIstio_ErrorWithFieldPath(string match, string path)
    {
        var error = Assert.Single(Errors(match));

        Assert.Contains("VirtualService default/vs: " + path + ":", error, StringComparison.Ordinal);
    }

    // validateStringRegexp: "regex is too large, max length allowed is 1024" (Go len, so UTF-8 bytes), for every
    // regex. 1,024 bytes is still accepted.
    [Theory]
    [InlineData(1023, 1, true)]
    [InlineData(1024, 1, false)]
    [InlineData(511, 2, true)]
    [InlineData(512, 2, false)]
    public void Build_RegexLength_LimitedTo1024Bytes(int repeat, int charBytes, bool accepted)
    {
        // "/" then repeat characters of charBytes UTF-8 bytes each ("é" is two).
        var pattern = "/" + new string(charBytes == 1 ? 'a' : '\u00e9', repeat);
        var errors = Errors($"[{{uri: {{regex: \"{pattern}\"}}}}, {{headers: {{x-a: {{regex: \"{pattern}\"}}}}}}]");

        if (accepted)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.Collection(errors,
                e => Assert.EndsWith("spec.http[0].match[0].uri.regex: regex is too large, max length allowed is 1024", e, StringComparison.Ordinal),
                e => Assert.EndsWith("spec.http[0].match[1].headers.x-a.regex: regex is too large, max length allowed is 1024", e, StringComparison.Ordinal));
        }
    }

    // withoutHeaders is the one place a regex "*" is valid: "`*` is NOT a RE2 style regex, it will be translated as
    // present_match" (validateHTTPRouteMatchRequest, translateHeaderMatch).
    [Fact]
    public void Route_WithoutHeadersRegexStar_Presence()
    {
        var router = MatchTable.RouterWithMatch("[{withoutHeaders: {x-debug: {regex: \"*\"}}}]");

        Assert.True(MatchTable.Hits(router, "/"));
        Assert.False(MatchTable.Hits(router, "/", headers: "x-debug: 1"));
    }
}
