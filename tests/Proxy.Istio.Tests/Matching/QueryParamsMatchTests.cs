using static Proxy.Istio.Tests.Matching.MatchTable;

namespace Proxy.Istio.Tests.Matching;

/// <summary>
/// HTTPMatchRequest.queryParams (virtual_service.proto): "For a query parameter like "?key=true", the map key would be
/// "key" and the string match could be defined as exact: "true""; Istio builds Envoy QueryParameterMatchers (pilot
/// route.go translateQueryParamMatch), which see the raw query (no percent-decoding) and, "preserving the legacy
/// behavior", only the first value of a repeated name (Envoy config_utility.cc).
/// </summary>
public sealed class QueryParamsMatchTests
{
    [Theory]
    [InlineData("{v: {exact: \"2\"}}", "/?v=2", true)]
    [InlineData("{v: {exact: \"2\"}}", "/?a=1&v=2&b", true)]
    [InlineData("{v: {exact: \"2\"}}", "/?v=22", false)]
    [InlineData("{v: {exact: \"2\"}}", "/?vv=2", false)]
    [InlineData("{v: {exact: \"2\"}}", "/?V=2", false)]
    [InlineData("{v: {exact: \"2\"}}", "/", false)]
    [InlineData("{v: {exact: \"2\"}}", "/?v=2&v=1", true)]
    [InlineData("{v: {exact: \"2\"}}", "/?v=1&v=2", false)]
    [InlineData("{v: {exact: \"a b\"}}", "/?v=a%20b", false)]
    [InlineData("{v: {exact: \"a%20b\"}}", "/?v=a%20b", true)]
    // "For a query parameter like "?key=123" ... regex: "\d+$" ... will only match values like "123" but not "a123"
    // or "123a"": a full-string match.
    [InlineData("{v: {regex: \"\\\\d+$\"}}", "/?v=123", true)]
    [InlineData("{v: {regex: \"\\\\d+$\"}}", "/?v=a123", false)]
    [InlineData("{v: {regex: \"\\\\d+$\"}}", "/?v=123a", false)]
    // Presence: {} (Istio turns it into present_match).
    [InlineData("{v: {}}", "/?x=1&v=3", true)]
    [InlineData("{v: {}}", "/?v", true)]
    [InlineData("{v: {}}", "/?x=1", false)]
    // ... and so is a null match (canBeConvertedToPresentMatch(nil)).
    [InlineData("{v: }", "/?v=3", true)]
    [InlineData("{v: }", "/?x=1", false)]
    // "For a query parameter like "?key", the map key would be "key" and the string match could be defined as
    // exact: """.
    [InlineData("{v: {exact: \"\"}}", "/?v", true)]
    [InlineData("{v: {exact: \"\"}}", "/?v=", true)]
    [InlineData("{v: {exact: \"\"}}", "/?x", false)]
    // Conditions ANDed.
    [InlineData("{a: {exact: \"1\"}, b: {}}", "/?b&a=1", true)]
    [InlineData("{a: {exact: \"1\"}, b: {}}", "/?a=1", false)]
    public void Route_QueryParams_ExactRegexPresence(string queryParams, string target, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch($"[{{queryParams: {queryParams}}}]"), target));
    }

    // translateQueryParamMatch makes only a missing match, {} or regex "*" a present_match; exact "" goes through
    // ConvertToEnvoyMatch to a StringMatcher exact "", which "?key=abc" does not satisfy.
    [Fact]
    public void Route_QueryParamExactEmpty_NotMatchedByAValue()
    {
        Assert.False(Hits(RouterWithMatch("[{queryParams: {v: {exact: \"\"}}}]"), "/?v=abc"));
    }

    // "For a query parameter like "?key=abc" or "?key=abx", the map key would be "key" and the string match could be
    // defined as prefix: "ab"" (istio/api#2712, 2023, replaced "prefix matching is currently not supported").
    [Fact]
    public void Route_QueryParamPrefix_Matched()
    {
        var router = RouterWithMatch("[{queryParams: {key: {prefix: ab}}}]");

        Assert.True(Hits(router, "/?key=abc"));
        Assert.True(Hits(router, "/?key=abx"));
        Assert.False(Hits(router, "/?key=xab"));
    }
}
