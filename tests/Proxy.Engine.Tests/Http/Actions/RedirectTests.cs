using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http.Actions;

/// <summary>
/// Route redirects (Istio HTTPRedirect, Envoy RedirectAction). The Location rules are Envoy's Http::Utility::newUri and
/// processRequestHost (source/common/http/utility.cc): unset parts come from the request; a host_redirect drops the
/// request's port; a scheme change drops the port that is the old scheme's default; a path_redirect's own query wins
/// over the request's and over strip_query.
/// </summary>
public sealed class RedirectTests
{
    [Theory]
    // path_redirect keeps the request's query when it has none of its own.
    [InlineData(null, null, 0, "/v2/items", false, "a.example.com", "/v1/items?x=1", "http://a.example.com/v2/items?x=1")]
    // "The path_redirect query string, if any, takes precedence over the request's query string, and it will not be
    // stripped regardless of strip_query."
    [InlineData(null, null, 0, "/new?y=2", false, "a.example.com", "/v1/items?x=1", "http://a.example.com/new?y=2")]
    [InlineData(null, null, 0, "/new?y=2", true, "a.example.com", "/v1/items?x=1", "http://a.example.com/new?y=2")]
    [InlineData(null, null, 0, null, true, "a.example.com", "/v1/items?x=1", "http://a.example.com/v1/items")]
    [InlineData(null, null, 0, null, false, "a.example.com", "/v1/items?x=1", "http://a.example.com/v1/items?x=1")]
    // A path without a leading slash gets one.
    [InlineData(null, null, 0, "v3", false, "a.example.com", "/v1", "http://a.example.com/v3")]
    // Scheme change: the old scheme's default port is dropped, any other port kept.
    [InlineData("https", null, 0, null, false, "a.example.com:80", "/p", "https://a.example.com/p")]
    [InlineData("https", null, 0, null, false, "a.example.com:8080", "/p", "https://a.example.com:8080/p")]
    [InlineData("https", null, 0, null, false, "a.example.com:443", "/p", "https://a.example.com:443/p")]
    [InlineData("https", null, 0, null, false, "[::1]:80", "/p", "https://[::1]/p")]
    // Same scheme: the port stays, even the default one.
    [InlineData("http", null, 0, null, false, "a.example.com:80", "/p", "http://a.example.com:80/p")]
    // host_redirect replaces the whole authority: the request's port is not carried over.
    [InlineData(null, "b.example.com", 0, null, false, "a.example.com:8080", "/p?q", "http://b.example.com/p?q")]
    [InlineData(null, "b.example.com", 9443, null, false, "a.example.com:8080", "/p", "http://b.example.com:9443/p")]
    // port_redirect replaces the request's port.
    [InlineData(null, null, 8443, null, false, "a.example.com:8080", "/p", "http://a.example.com:8443/p")]
    [InlineData(null, null, 8443, null, false, "a.example.com", "/p", "http://a.example.com:8443/p")]
    [InlineData("https", "secure.example.com", 443, "/login", true, "a.example.com", "/x?y=1", "https://secure.example.com:443/login")]
    public async Task Redirect_BuildsLocationLikeEnvoy(
        string? scheme, string? host, int port, string? path, bool stripQuery, string requestHost, string target, string location)
    {
        var redirect = new RedirectAction { Scheme = scheme, Host = host, Port = port == 0 ? null : port, Path = path, StripQuery = stripQuery };
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", new HttpRoute("r", []) { Redirect = redirect }), []);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync($"GET {target} HTTP/1.1\r\nHost: {requestHost}\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(301, response.Status);
        Assert.Equal(location, response.Header("location"));
    }

    [Theory]
    [InlineData(301, "HTTP/1.1 301 Moved Permanently")]
    [InlineData(302, "HTTP/1.1 302 Found")]
    [InlineData(303, "HTTP/1.1 303 See Other")]
    [InlineData(307, "HTTP/1.1 307 Temporary Redirect")]
    [InlineData(308, "HTTP/1.1 308 Permanent Redirect")]
    public async Task Redirect_StatusLineAndEmptyBody_KeepsConnection(int status, string statusLine)
    {
        var route = new HttpRoute("r", []) { Redirect = new RedirectAction { StatusCode = status, Path = "/moved" } };
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", route), []);
        await using var client = await proxy.ConnectAsync();

        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync("GET /old HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
            var response = await client.ReadResponseAsync();
            Assert.StartsWith(statusLine + "\r\n", response.Head + "\r\n", StringComparison.Ordinal);
            Assert.Equal("0", response.Header("content-length"));
            Assert.Null(response.Header("connection"));
            Assert.Equal("http://a.example.com/moved", response.Header("location"));
        }
    }

    [Fact]
    public async Task Redirect_RequestWithUnreadBody_ClosesConnection()
    {
        var route = new HttpRoute("r", []) { Redirect = new RedirectAction { Path = "/moved" } };
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", route), []);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("POST /old HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
        var response = await client.ReadResponseAsync();

        Assert.Equal(301, response.Status);
        Assert.Equal("close", response.Header("connection"));
        Assert.True(await client.IsClosedByPeerAsync());
        await FailureTests.PollAsync(() => proxy.Server.ConnectionCount == 0);
    }

    [Fact]
    public async Task Redirect_GetsRouteResponseHeaders()
    {
        // Envoy applies the route's response_headers_to_add to its redirects (direct response entries) too.
        var route = new HttpRoute("r", [])
        {
            Redirect = new RedirectAction { Host = "b.example.com" },
            ResponseHeaders = new HeaderOperations(set: [new("cache-control", "no-store")]),
        };
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", route), []);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal("http://b.example.com/", response.Header("location"));
        Assert.Equal("no-store", response.Header("cache-control"));
    }
    [Theory]
    // Istio HTTPRedirect.prefixRewrite -> Envoy prefix_rewrite on the redirect: the matched prefix of the request's
    // path is swapped, the rest and the query kept.
    [InlineData("/v1/items?x=1", "http://a.example.com/v2/items?x=1")]
    // A path without the prefix is left as it is.
    [InlineData("/other", "http://a.example.com/other")]
    public async Task Redirect_PrefixRewrite_RewritesTheRequestPath(string target, string location)
    {
        var redirect = new RedirectAction { PathRewrite = PathRewrite.ReplacePrefix("/v1", "/v2") };
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", new HttpRoute("r", []) { Redirect = redirect }), []);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync($"GET {target} HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(301, response.Status);
        Assert.Equal(location, response.Header("location"));
    }
}
