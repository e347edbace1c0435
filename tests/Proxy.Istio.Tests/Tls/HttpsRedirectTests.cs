using static Proxy.Istio.Tests.Tls.TlsYaml;

namespace Proxy.Istio.Tests.Tls;

/// <summary>gateway.proto <c>tls.httpsRedirect</c>: "send a 301 redirect for all http connections" (Envoy
/// <c>require_tls: ALL</c> on the server's virtual hosts).</summary>
public sealed class HttpsRedirectTests
{
    private static readonly string RedirectServer = Server("HTTP", "[shop.example.com]", "{httpsRedirect: true}", port: 80);

    [Fact]
    public void Build_HttpsRedirect_EveryRequestToTheServersHostsRedirects()
    {
        var yaml = TestConfig.Docs(Gateway(RedirectServer), TestConfig.Backend,
            VirtualService("vs", "[shop.example.com]", http: To("v1", "{uri: {prefix: /api}}")));

        var config = TestConfig.BuildValid(yaml);

        foreach (var target in new[] { "/api/x", "/", "/other?q=1" })
        {
            var route = TestConfig.Route(config, "shop.example.com", target);
            Assert.NotNull(route);
            Assert.True(route.HttpsRedirect);
            Assert.Empty(route.Destinations);
        }

        Assert.Empty(config.Clusters);
    }

    [Fact]
    public void Build_HttpsRedirectWithoutVirtualService_ServerHostsStillRedirect()
    {
        var config = TestConfig.BuildValid(Gateway(Server("HTTP", "[\"*.example.com\", \"web/shop.example.org\"]", "{httpsRedirect: true}", port: 80)));

        Assert.True(TestConfig.Route(config, "a.example.com", "/")?.HttpsRedirect);
        Assert.True(TestConfig.Route(config, "shop.example.org", "/")?.HttpsRedirect);
        Assert.Null(TestConfig.Route(config, "other.org", "/"));
    }

    [Fact]
    public void Build_HttpsRedirectFalse_RoutesAsUsual()
    {
        var yaml = TestConfig.Docs(Gateway(Server("HTTP", "[shop.example.com]", "{httpsRedirect: false}", port: 80)), TestConfig.Backend,
            VirtualService("vs", "[shop.example.com]", http: To("v1")));

        var route = TestConfig.Route(TestConfig.BuildValid(yaml), "shop.example.com", "/");

        Assert.False(route?.HttpsRedirect);
        Assert.Equal("outbound|80|v1|backend.example.internal", TestConfig.ClusterOf(route));
    }

    // Servers sharing port 80 share one route table: only hosts contributed by the redirecting server redirect.
    [Fact]
    public void Build_RedirectAndPlainServersOnOnePort_OnlyRedirectServersHostsRedirect()
    {
        var yaml = TestConfig.Docs(
            Gateway(Servers(RedirectServer, Server("HTTP", "[api.example.com]", port: 80, portName: "http-api"))),
            TestConfig.Backend,
            VirtualService("vs", "[shop.example.com, api.example.com]", http: To("v1")));

        var config = TestConfig.BuildValid(yaml);

        Assert.True(TestConfig.Route(config, "shop.example.com", "/")?.HttpsRedirect);
        var api = TestConfig.Route(config, "api.example.com", "/");
        Assert.False(api?.HttpsRedirect);
        Assert.Equal("outbound|80|v1|backend.example.internal", TestConfig.ClusterOf(api));
        Assert.Single(config.Clusters);
    }

    [Fact]
    public void Build_WildcardVirtualServiceOnRedirectServer_NarrowerServerHostRedirects()
    {
        var yaml = TestConfig.Docs(Gateway(Server("HTTP", "[\"*.example.com\"]", "{httpsRedirect: true}", port: 80)), TestConfig.Backend,
            VirtualService("vs", "[\"*\"]", http: To("v1")));

        var config = TestConfig.BuildValid(yaml);

        Assert.True(TestConfig.Route(config, "x.example.com", "/")?.HttpsRedirect);
        Assert.Null(TestConfig.Route(config, "x.example.org", "/"));
    }

    // The usual ingress: port 80 only redirects, port 443 terminates and routes, one VirtualService for both.
    [Fact]
    public void Build_RedirectOn80AndHttpsOn443_SameVirtualService()
    {
        using var dir = new TempDirectory();
        dir.WriteCredential("certs", "shop.example.com");
        var yaml = TestConfig.Docs(Gateway(Servers(RedirectServer, Server("HTTPS", "[shop.example.com]", Simple))), TestConfig.Backend,
            VirtualService("vs", "[shop.example.com]", http: To("v1")));

        var config = TestConfig.BuildValid(yaml, baseDirectory: dir.Root);

        Assert.True(TestConfig.Route(TestConfig.Router(config, 80), "shop.example.com", "/")?.HttpsRedirect);
        var https = TestConfig.Route(config.Listeners.Single(l => l.Name == "0.0.0.0_443").TlsFilterChains!.Single().Router!, "shop.example.com", "/");
        Assert.False(https?.HttpsRedirect);
        Assert.Equal("outbound|80|v1|backend.example.internal", TestConfig.ClusterOf(https));
    }
}
