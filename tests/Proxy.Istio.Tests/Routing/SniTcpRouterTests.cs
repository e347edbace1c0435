using Proxy.Engine.Routing;
using Proxy.Istio.Routing;

namespace Proxy.Istio.Tests.Routing;

public class SniTcpRouterTests
{
    private static string? Pick(string[] hosts, string? sni)
    {
        var router = new SniTcpRouter(hosts.Select((h, i) => (h, new TcpRoute($"{i}:{h}", []))));
        return router.Route(new TcpRouteContext(sni, null, null))?.Name;
    }

    // Exact first, then wildcards by longest suffix ("*.com" matches "foo.example.com" per TLSMatchAttributes.sniHosts),
    // "*" last; the wildcard needs at least one character before its suffix.
    [Theory]
    [InlineData("www.example.com", "0:www.example.com")]
    [InlineData("api.example.com", "2:*.example.com")]
    [InlineData("a.b.example.com", "2:*.example.com")]
    [InlineData("foo.com", "1:*.com")]
    [InlineData("example.com", "1:*.com")]
    [InlineData("foo.example.org", "3:*")]
    [InlineData("WWW.Example.COM", "0:www.example.com")]
    [InlineData(null, "3:*")]
    [InlineData("", "3:*")]
    public void Route_MostSpecificWins(string? sni, string expected)
    {
        Assert.Equal(expected, Pick(["www.example.com", "*.com", "*.example.com", "*"], sni));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("other.org")]
    [InlineData("example.com")]
    public void Route_NoCatchAll_NoMatchIsNull(string? sni)
    {
        Assert.Null(Pick(["www.example.com", "*.example.com"], sni));
    }

    [Fact]
    public void Route_RepeatedHost_FirstInOrderWins()
    {
        Assert.Equal("0:*.example.com", Pick(["*.example.com", "*.example.com", "a.example.com", "a.example.com"], "b.example.com"));
        Assert.Equal("2:a.example.com", Pick(["*.example.com", "*.example.com", "a.example.com", "a.example.com"], "a.example.com"));
    }

    [Fact]
    public void Routes_EveryDistinctRoute()
    {
        var shared = new TcpRoute("shared", []);
        var router = new SniTcpRouter([("a.example.com", shared), ("*.example.com", shared), ("*", new TcpRoute("any", []))]);

        Assert.Equal(["shared", "any"], router.Routes.Select(r => r.Name));
    }

    [Fact]
    public void StaticRouter_SameRouteForEveryConnection()
    {
        var route = new TcpRoute("r", []);
        var router = new StaticTcpRouter(route);

        Assert.Same(route, router.Route(new TcpRouteContext("x.example.com", null, null)));
        Assert.Same(route, router.Route(default));
        Assert.Null(new StaticTcpRouter(null).Route(default));
    }
}
