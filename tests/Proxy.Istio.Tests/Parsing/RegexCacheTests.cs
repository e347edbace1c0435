using System.Text.RegularExpressions;
using Proxy.Istio.Parsing;

namespace Proxy.Istio.Tests.Parsing;

/// <summary>A reload of an unchanged config reuses its compiled regexes instead of constructing them again.</summary>
public sealed class RegexCacheTests
{
    [Fact]
    public void TwoBuildsOfOneConfig_ShareTheirRegexes()
    {
        var pattern = "/cache-" + Guid.NewGuid().ToString("N") + "/[0-9]+";
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, $$$"""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: vs
            spec:
              hosts: ["*"]
              gateways: [gw]
              http:
              - match: [{uri: {regex: "{{{pattern}}}"}}]
                route: [{destination: {host: backend.example.internal, subset: v1}}]
            """);

        var created = 0;
        Assert.True(IstioConfigBuilder.Build([new IstioSource(TestConfig.File, yaml)], new IstioBuildOptions()).IsValid);
        var cached = RegexCache.GetOrCreate("c:^(?:" + pattern + ")$", () =>
        {
            created++;
            return new Regex(pattern);
        });
        Assert.True(IstioConfigBuilder.Build([new IstioSource(TestConfig.File, yaml)], new IstioBuildOptions()).IsValid);

        Assert.Equal(0, created); // the first build compiled it; neither the lookup nor the second build did
        Assert.True(cached.Options.HasFlag(RegexOptions.NonBacktracking));
    }

    [Fact]
    public void AnInvalidPattern_IsNotCached()
    {
        var key = "test:" + Guid.NewGuid().ToString("N");
        Assert.Throws<RegexParseException>(() => RegexCache.GetOrCreate(key, () => new Regex("(")));

        var regex = RegexCache.GetOrCreate(key, () => new Regex("ok"));

        Assert.Equal("ok", regex.ToString());
    }
}
