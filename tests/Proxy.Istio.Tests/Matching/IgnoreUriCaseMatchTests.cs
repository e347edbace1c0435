using static Proxy.Istio.Tests.Matching.MatchTable;

namespace Proxy.Istio.Tests.Matching;

/// <summary>HTTPMatchRequest.ignoreUriCase (virtual_service.proto): "Flag to specify whether the URI matching should be
/// case-insensitive. Note: The case will be ignored only in the case of exact and prefix URI matches." Istio sets
/// Envoy's RouteMatch.case_sensitive to its negation, which is "ignored for safe_regex matching".</summary>
public sealed class IgnoreUriCaseMatchTests
{
    [Theory]
    [InlineData("{exact: /Api}", true, "/aPI", true)]
    [InlineData("{exact: /Api}", true, "/apix", false)]
    [InlineData("{exact: /Api}", false, "/api", false)]
    [InlineData("{prefix: /Api}", true, "/API/x", true)]
    [InlineData("{prefix: /Api}", true, "/ap", false)]
    [InlineData("{prefix: /Api}", false, "/API/x", false)]
    // Regexes stay case-sensitive.
    [InlineData("{regex: \"/api\"}", true, "/API", false)]
    [InlineData("{regex: \"/api\"}", true, "/api", true)]
    public void Route_IgnoreUriCase_ExactAndPrefixOnly(string uri, bool ignoreUriCase, string target, bool hit)
    {
        var match = $"[{{uri: {uri}, ignoreUriCase: {(ignoreUriCase ? "true" : "false")}}}]";

        Assert.Equal(hit, Hits(RouterWithMatch(match), target));
    }

    [Fact]
    public void Build_IgnoreUriCaseWithRegex_Warned()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend,
            TestConfig.VirtualService(RouteYaml(Hit, "[{uri: {regex: \"/api\"}, ignoreUriCase: true}]")));

        Assert.Contains(TestConfig.Build(yaml).Warnings, w => w.EndsWith(
            "spec.http[0].match[0].ignoreUriCase: applies to exact and prefix uri matches only; the regex stays case-sensitive", StringComparison.Ordinal));
    }
}
