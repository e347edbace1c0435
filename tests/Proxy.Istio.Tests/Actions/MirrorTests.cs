using static Proxy.Istio.Tests.Actions.ActionYaml;

namespace Proxy.Istio.Tests.Actions;

/// <summary>
/// <c>mirror</c>, <c>mirrorPercentage</c>, the deprecated <c>mirrorPercent</c>, and <c>mirrors</c>
/// (virtual_service.proto), resolved like route destinations and translated as route.go MirrorPercent and
/// MirrorPercentByPolicy do.
/// </summary>
public sealed class MirrorTests
{
    private const string Shadow80 = "outbound|80||shadow.example.internal";

    private static (string Cluster, double Percentage)[] Mirrors(string fields) =>
        [.. Route(ToV1(fields)).Mirrors.Select(static m => (m.Cluster.Name, m.Percentage))];

    // mirrorPercentage: "If this field is absent, all the traffic (100%) will be mirrored."
    [Fact]
    public void Build_Mirror_AllTrafficMirrored()
    {
        Assert.Equal([(Shadow80, 100.0)], Mirrors("    mirror: {host: shadow.example.internal, port: {number: 80}}"));
    }

    [Fact]
    public void Build_MirrorPercentage_Used()
    {
        Assert.Equal([("outbound|8080|blue|shadow.example.internal", 25.5)],
            Mirrors("    mirror: {host: shadow.example.internal, subset: blue, port: {number: 8080}}\n    mirrorPercentage: {value: 25.5}"));
    }

    // MirrorPercent: "If zero percent is provided explicitly, we should not mirror."
    [Fact]
    public void Build_MirrorPercentageZero_NoMirror()
    {
        Assert.Empty(Mirrors("    mirror: {host: shadow.example.internal, port: {number: 80}}\n    mirrorPercentage: {value: 0}"));
    }

    // mirror_percent: "Use of integer `mirror_percent` value is deprecated"; the CRD also accepts mirror_percent.
    [Theory]
    [InlineData("mirrorPercent")]
    [InlineData("mirror_percent")]
    public void Build_DeprecatedMirrorPercent_UsedWithWarning(string key)
    {
        var http = ToV1($"    mirror: {{host: shadow.example.internal, port: {{number: 80}}}}\n    {key}: 30");

        Assert.Equal(30, Route(http).Mirrors.Single().Percentage);
        Assert.Equal([$"spec.http[0].{key}: deprecated; use mirrorPercentage"], Warnings(http));
    }

    // MirrorPercent checks mirrorPercentage before mirrorPercent.
    [Fact]
    public void Build_BothPercentages_MirrorPercentageWins()
    {
        Assert.Equal(10, Route(ToV1("    mirror: {host: shadow.example.internal, port: {number: 80}}\n    mirrorPercentage: {value: 10}\n    mirrorPercent: 90")).Mirrors.Single().Percentage);
    }

    // HTTPMirrorPolicy: a destination each, "If this field is absent, all the traffic (100%) will be mirrored".
    [Fact]
    public void Build_Mirrors_EachWithItsPercentage()
    {
        Assert.Equal([(Shadow80, 100.0), ("outbound|8080|blue|shadow.example.internal", 5.0)], Mirrors("""
                mirrors:
                - destination: {host: shadow.example.internal, port: {number: 80}}
                - destination: {host: shadow.example.internal, subset: blue, port: {number: 8080}}
                  percentage: {value: 5}
                - destination: {host: backend.example.internal}
                  percentage: {value: 0}
            """));
    }

    // Mirror clusters are clusters of the listener like destinations are.
    [Fact]
    public void Build_Mirror_ClusterListed()
    {
        var config = BuildValid(ToV1("    mirror: {host: shadow.example.internal, subset: blue, port: {number: 8080}}"));

        Assert.Equal(["outbound|8080|blue|shadow.example.internal", V1], config.Clusters.Select(c => c.Name));
        Assert.Same(config.Clusters[0], Route(config, "/").Mirrors.Single().Cluster);
    }

    // Istio mirrors only forwarded requests (applyHTTPRouteDestination): a redirect's mirror is not resolved or sent.
    [Fact]
    public void Build_MirrorOnRedirect_Ignored()
    {
        var config = BuildValid("  - redirect: {uri: /x}\n    mirror: {host: shadow.example.internal, port: {number: 80}}");

        Assert.Empty(Route(config, "/").Mirrors);
        Assert.Empty(config.Clusters);
    }

    // validateHTTPRouteConflict, validateHTTPRoute's percentage checks, validateHTTPMirrors, and the same destination
    // resolution as route destinations.
    [Theory]
    [InlineData("    mirror: {host: shadow.example.internal, port: {number: 80}}\n    mirrors: [{destination: {host: shadow.example.internal, port: {number: 80}}}]", "spec.http[0].mirrors: only one of mirror and mirrors may be set")]
    [InlineData("    mirror: {host: ghost.example.internal}", "spec.http[0].mirror.host: host \"ghost.example.internal\" is not defined by any ServiceEntry")]
    [InlineData("    mirror: {host: shadow.example.internal, subset: green, port: {number: 80}}", "spec.http[0].mirror.subset: subset \"green\" is not defined by any DestinationRule for shadow.example.internal")]
    [InlineData("    mirror: {host: shadow.example.internal}", "spec.http[0].mirror.port: is required: ServiceEntry default/shadow defines several ports for shadow.example.internal (80, 8080)")]
    [InlineData("    mirrors: [{destination: {host: shadow.example.internal, port: {number: 9999}}}]", "spec.http[0].mirrors[0].destination.port.number: port 9999 is not defined by ServiceEntry default/shadow for shadow.example.internal")]
    [InlineData("    mirrors: [{percentage: {value: 5}}]", "spec.http[0].mirrors[0].destination: is required")]
    [InlineData("    mirrors: [{destination: {host: shadow.example.internal, port: {number: 80}}, percentage: {value: 150}}]", "spec.http[0].mirrors[0].percentage.value: percentage 150 is not in range [0, 100]")]
    [InlineData("    mirror: {host: shadow.example.internal, port: {number: 80}}\n    mirrorPercentage: {value: -1}", "spec.http[0].mirrorPercentage.value: percentage -1 is not in range [0, 100]")]
    [InlineData("    mirror: {host: shadow.example.internal, port: {number: 80}}\n    mirrorPercent: 101", "spec.http[0].mirrorPercent: must have a max value of 100 (it has 101)")]
    [InlineData("    mirror: {host: \"*.example.internal\"}", "spec.http[0].mirror.host: destination host \"*.example.internal\" must not be a wildcard")]
    public void Build_InvalidMirror_Error(string fields, string expected)
    {
        Assert.Equal(expected, Error(ToV1(fields)));
    }
}
