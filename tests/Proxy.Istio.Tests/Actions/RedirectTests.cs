using Proxy.Engine.Routing;
using static Proxy.Istio.Tests.Actions.ActionYaml;
using static Proxy.Istio.Tests.Tls.TlsYaml;

namespace Proxy.Istio.Tests.Actions;

/// <summary>HTTPRedirect (virtual_service.proto) as Istio's route.go ApplyRedirect translates it.</summary>
public sealed class RedirectTests
{
    // "uri: On a redirect, overwrite the Path portion of the URL with this value"; "The default response code is
    // MOVED_PERMANENTLY (301)"; a redirect answers at the gateway, so the route has no destination.
    [Fact]
    public void Build_RedirectUri_Moved301WithPathAndNothingElse()
    {
        var route = Route("  - redirect: {uri: /v1/bookRatings}");

        var redirect = Assert.IsType<RedirectAction>(route.Redirect);
        Assert.Equal(301, redirect.StatusCode);
        Assert.Equal("/v1/bookRatings", redirect.Path);
        Assert.Null(redirect.Host);
        Assert.Null(redirect.Scheme);
        Assert.Null(redirect.Port);
        Assert.Null(redirect.PathRewrite);
        Assert.Empty(route.Destinations);
        Assert.Null(route.DirectResponse);
    }

    // ApplyRedirect maps redirectCode 301, 302, 303, 307 and 308 onto Envoy's response codes.
    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    [InlineData(307)]
    [InlineData(308)]
    public void Build_RedirectCode_Kept(int code)
    {
        Assert.Equal(code, Route($"  - redirect: {{uri: /x, redirectCode: {code}}}").Redirect!.StatusCode);
    }

    // "authority: overwrite the Authority/Host portion of the URL"; "scheme: overwrite the scheme portion".
    [Fact]
    public void Build_RedirectAuthorityAndScheme_Set()
    {
        var redirect = Route("  - redirect: {authority: newratings.default.svc.cluster.local, scheme: https}").Redirect!;

        Assert.Equal("newratings.default.svc.cluster.local", redirect.Host);
        Assert.Equal("https", redirect.Scheme);
        Assert.Null(redirect.Path);
    }

    // ApplyRedirect: "Do not put explicit :80 or :443 when its http/https"; the scheme is the redirect's, else https
    // when the server has TLS settings (RouteOptions.IsTLS = server.Tls != nil), else http.
    [Theory]
    [InlineData("port: 8443", "", 8443)]
    [InlineData("port: 80", "", null)]
    [InlineData("port: 443", "", 443)]
    [InlineData("port: 443, scheme: https", "", null)]
    [InlineData("port: 80, scheme: https", "", 80)]
    [InlineData("port: 443", "{httpsRedirect: false}", null)]
    [InlineData("port: 80", "{httpsRedirect: false}", 80)]
    public void Build_RedirectPort_DefaultPortOfTheSchemeLeftOut(string fields, string serverTls, int? expected)
    {
        var yaml = TestConfig.Docs(Gateway(Server("HTTP", "[\"*\"]", serverTls, port: 80)), TestConfig.Backend,
            TestConfig.VirtualService($"  - redirect: {{{fields}}}"));

        Assert.Equal(expected, TestConfig.Route(TestConfig.BuildValid(yaml), "x", "/")!.Redirect!.Port);
    }

    // derivePort FROM_REQUEST_PORT: "automatically use the port of the request", which Istio takes as the gateway
    // server's port; each server port gets its own route.
    [Fact]
    public void Build_DerivePortFromRequestPort_EachServersPort()
    {
        var yaml = TestConfig.Docs(
            Gateway(Servers(Server("HTTP", "[\"*\"]", port: 8080), Server("HTTP", "[\"*\"]", port: 9090, portName: "http-alt"))),
            TestConfig.Backend,
            TestConfig.VirtualService("  - redirect: {derivePort: FROM_REQUEST_PORT, authority: other.example.com}"));

        var config = TestConfig.BuildValid(yaml);

        Assert.Equal(8080, TestConfig.Route(TestConfig.Router(config, 8080), "x", "/")!.Redirect!.Port);
        Assert.Equal(9090, TestConfig.Route(TestConfig.Router(config, 9090), "x", "/")!.Redirect!.Port);
    }

    // FROM_PROTOCOL_DEFAULT: "automatically set to 80 for HTTP and 443 for HTTPS", which is Envoy's default handling
    // ("no port needed"), so no port is set.
    [Fact]
    public void Build_DerivePortFromProtocolDefault_NoPort()
    {
        var yaml = TestConfig.Docs(Gateway(Server("HTTP", "[\"*\"]", port: 8080)), TestConfig.Backend,
            TestConfig.VirtualService("  - redirect: {derivePort: FROM_PROTOCOL_DEFAULT, scheme: https}"));

        var redirect = TestConfig.Route(TestConfig.BuildValid(yaml), "x", "/")!.Redirect!;

        Assert.Null(redirect.Port);
        Assert.Equal("https", redirect.Scheme);
    }

    // prefixRewrite: "replace the matched prefix with this value"; each match block has its own prefix, so each
    // gets its own route (one name).
    [Fact]
    public void Build_PrefixRewrite_SwapsEachMatchBlocksPrefix()
    {
        var config = BuildValid("""
              - name: moved
                match: [{uri: {prefix: /foo/}}, {uri: {prefix: /bar/}, ignoreUriCase: true}]
                redirect: {authority: foo.example.com, prefixRewrite: /}
            """);

        var foo = Route(config, "/foo/x");
        var bar = Route(config, "/BAR/x");

        Assert.NotSame(foo, bar);
        Assert.Equal("moved", foo.Name);
        Assert.Equal("moved", bar.Name);
        var fooRewrite = foo.Redirect!.PathRewrite!;
        Assert.Equal((PathRewriteKind.Prefix, "/foo/", "/", false), (fooRewrite.Kind, fooRewrite.Match, fooRewrite.Replacement, fooRewrite.IgnoreCase));
        var barRewrite = bar.Redirect!.PathRewrite!;
        Assert.Equal((PathRewriteKind.Prefix, "/bar/", "/", true), (barRewrite.Kind, barRewrite.Match, barRewrite.Replacement, barRewrite.IgnoreCase));
    }

    // A redirect without a prefix rewrite does not depend on the match block: one route serves them all.
    [Fact]
    public void Build_RedirectWithSeveralMatchBlocks_OneSharedRoute()
    {
        var config = BuildValid("  - match: [{uri: {prefix: /a}}, {uri: {prefix: /b}}]\n    redirect: {uri: /c}");

        Assert.Same(Route(config, "/a"), Route(config, "/b"));
    }

    // validateHTTPRedirect and validateHTTPRouteConflict.
    [Theory]
    [InlineData("  - redirect: {uri: /a, prefixRewrite: /b}", "spec.http[0].redirect.prefixRewrite: only one of uri and prefixRewrite may be set")]
    [InlineData("  - match: [{uri: {exact: /a}}]\n    redirect: {prefixRewrite: /b}", "spec.http[0].redirect.prefixRewrite: needs every uri match of the route to be a prefix match")]
    [InlineData("  - redirect: {redirectCode: 302}", "spec.http[0].redirect: must set uri, prefixRewrite, authority, scheme, port or derivePort")]
    [InlineData("  - redirect: {uri: \"\"}", "spec.http[0].redirect: must set uri, prefixRewrite, authority, scheme, port or derivePort")]
    [InlineData("  - redirect: {uri: /a, redirectCode: 300}", "spec.http[0].redirect.redirectCode: redirect code 300 is not supported by Envoy; use 301, 302, 303, 307 or 308")]
    [InlineData("  - redirect: {uri: /a, redirectCode: 200}", "spec.http[0].redirect.redirectCode: 200 is not a valid redirect code, must be 3xx")]
    [InlineData("  - redirect: {uri: /a, scheme: ftp}", "spec.http[0].redirect.scheme: invalid redirect scheme \"ftp\"; must be http or https")]
    [InlineData("  - redirect: {port: 8080, derivePort: FROM_REQUEST_PORT}", "spec.http[0].redirect.derivePort: only one of port and derivePort may be set")]
    [InlineData("  - redirect: {derivePort: FROM_HOST}", "spec.http[0].redirect.derivePort: invalid value \"FROM_HOST\"; expected one of FROM_PROTOCOL_DEFAULT, FROM_REQUEST_PORT")]
    [InlineData("  - redirect: {port: 70000}", "spec.http[0].redirect.port: 70000 is out of range [0, 65535]")]
    [InlineData("  - redirect: {uri: \"/a\\r\\nset-cookie: x=1\"}", "spec.http[0].redirect.uri: must not contain CR, LF or NUL")]
    [InlineData("  - redirect: {uri: /a}\n    fault: {abort: {httpStatus: 500, percentage: {value: 1}}}", "spec.http[0].fault: cannot be combined with redirect, which answers without forwarding")]
    [InlineData("  - redirect: {uri: /a}\n    rewrite: {uri: /b}", "spec.http[0].rewrite: cannot be combined with redirect, which answers without forwarding")]
    public void Build_InvalidRedirect_Error(string http, string expected)
    {
        Assert.Equal(expected, Error(http));
    }
}
