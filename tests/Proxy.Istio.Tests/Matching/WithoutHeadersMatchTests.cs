using static Proxy.Istio.Tests.Matching.MatchTable;

namespace Proxy.Istio.Tests.Matching;

/// <summary>
/// HTTPMatchRequest.withoutHeaders (virtual_service.proto): "has the same syntax with the header, but has opposite
/// meaning. If a header is matched with a matching rule among withoutHeader, the traffic becomes not matched one."
/// Istio builds an Envoy HeaderMatcher with <c>invert_match</c> and, unless it only tests presence,
/// <c>treat_missing_header_as_empty</c> (pilot route.go TranslateRouteMatch): a missing header is matched as "".
/// </summary>
public sealed class WithoutHeadersMatchTests
{
    [Theory]
    // Presence: the route matches only requests without the header.
    [InlineData("{x-debug: {}}", "", true)]
    [InlineData("{x-debug: {}}", "x-debug: 1", false)]
    [InlineData("{x-debug: {}}", "X-Debug:", false)]
    // A null match is presence too (canBeConvertedToPresentMatch(nil); validation only rejects null under headers).
    [InlineData("{x-debug: }", "", true)]
    [InlineData("{x-debug: }", "x-debug: 1", false)]
    // A value rule: a missing header is "", which "1" does not match, so the route matches.
    [InlineData("{x-debug: {exact: \"1\"}}", "", true)]
    [InlineData("{x-debug: {exact: \"1\"}}", "x-debug: 2", true)]
    [InlineData("{x-debug: {exact: \"1\"}}", "x-debug: 1", false)]
    [InlineData("{x-debug: {prefix: a}}", "", true)]
    [InlineData("{x-debug: {prefix: a}}", "x-debug: abc", false)]
    [InlineData("{x-debug: {prefix: a}}", "x-debug: xa", true)]
    // ... and a rule that matches "" excludes requests without the header too.
    [InlineData("{x-debug: {regex: \".*\"}}", "", false)]
    [InlineData("{x-debug: {exact: \"\"}}", "", false)]
    [InlineData("{x-debug: {exact: \"\"}}", "x-debug: 1", true)]
    // Repeated: the joined value "1,2" is not "1" (Envoy joins repeated headers with ',').
    [InlineData("{x-debug: {exact: \"1\"}}", "x-debug: 1|x-debug: 2", true)]
    public void Route_WithoutHeaders_InvertedMissingAsEmpty(string withoutHeaders, string sent, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch($"[{{withoutHeaders: {withoutHeaders}}}]"), "/", headers: sent));
    }

    // Both lists on one key in one block: ANDed like every other condition.
    [Theory]
    [InlineData("x-tier: ac", true)]
    [InlineData("x-tier: ab", false)]
    [InlineData("x-tier: b", false)]
    public void Route_HeadersAndWithoutHeadersOnOneKey_BothHold(string sent, bool hit)
    {
        var router = RouterWithMatch("[{headers: {x-tier: {prefix: a}}, withoutHeaders: {x-tier: {exact: ab}}}]");

        Assert.Equal(hit, Hits(router, "/", headers: sent));
    }
}
