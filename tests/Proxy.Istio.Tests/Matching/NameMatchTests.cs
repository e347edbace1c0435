using static Proxy.Istio.Tests.Matching.MatchTable;

namespace Proxy.Istio.Tests.Matching;

/// <summary>HTTPMatchRequest.name (virtual_service.proto): "The name assigned to a match. The match's name will be
/// concatenated with the parent route's name and will be logged in the access logs for requests matching this route."
/// Istio: <c>routeName = in.Name + "." + match.Name</c> (pilot route.go TranslateRoute).</summary>
public sealed class NameMatchTests
{
    [Theory]
    [InlineData("/a", true)]
    [InlineData("/b", false)]
    public void Route_NamedMatch_MatchesLikeUnnamed(string target, bool matched)
    {
        var router = RouterWithMatch("[{name: api, uri: {prefix: /a}}]");

        Assert.Equal(matched, router.Route(Request(target)) is not null);
    }

    [Fact]
    public void Route_NamedMatch_RouteNameConcatenated()
    {
        var router = RouterWithMatch("[{name: api, uri: {prefix: /a}}, {uri: {prefix: /b}}]");

        Assert.Equal("hit.api", RouteName(router, "/a"));
        Assert.Equal(Hit, RouteName(router, "/b"));
    }
}
