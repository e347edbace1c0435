using System.Text.RegularExpressions;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http.Actions;

/// <summary>
/// CORS (Istio CorsPolicy, Envoy's CORS filter, source/extensions/filters/http/cors/cors_filter.cc): a preflight is
/// OPTIONS with Origin and a non-empty Access-Control-Request-Method; one from an allowed origin is answered 200 with the
/// origin echoed; an actual request from an allowed origin gets allow-origin, allow-credentials and expose-headers set
/// on its response; a request without Origin is untouched.
/// </summary>
public sealed class CorsTests
{
    private static string Preflight(string origin) =>
        $"OPTIONS /api HTTP/1.1\r\nHost: a\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: x-token\r\n\r\n";

    private static CorsPolicy Policy(bool forward = true) => new()
    {
        AllowOrigins = [ValueMatcher.Exact("https://app.example.com"), ValueMatcher.FromRegex(new Regex(@"^(?:https://.*\.trusted\.io)$"))],
        AllowMethods = "GET,PUT",
        AllowHeaders = "content-type,x-token",
        ExposeHeaders = "x-trace",
        MaxAge = TimeSpan.FromHours(1),
        AllowCredentials = true,
        ForwardUnmatchedPreflights = forward,
    };

    private static async Task<(TestBackend Backend, ProxyFixture Proxy)> StartAsync(CorsPolicy policy, string backendHeaders = "")
    {
        var backend = new TestBackend(_ => BackendReply.Raw($"HTTP/1.1 200 OK\r\n{backendHeaders}Content-Length: 2\r\n\r\nok"));
        var cluster = ProxyFixture.Cluster("b", backend.EndPoint);
        var route = new HttpRoute("r", [new WeightedCluster(cluster, 100)]) { Cors = policy };
        return (backend, await ProxyFixture.StartAsync(new TableRouter().Add("*", "", route), [cluster]));
    }

    [Theory]
    [InlineData("https://app.example.com")]
    [InlineData("https://web.trusted.io")]
    public async Task Preflight_AllowedOrigin_AnsweredByProxy(string origin)
    {
        var (backend, proxy) = await StartAsync(Policy());
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Preflight(origin));
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal(origin, response.Header("access-control-allow-origin"));
        Assert.Equal("GET,PUT", response.Header("access-control-allow-methods"));
        Assert.Equal("content-type,x-token", response.Header("access-control-allow-headers"));
        Assert.Equal("3600", response.Header("access-control-max-age"));
        Assert.Equal("true", response.Header("access-control-allow-credentials"));
        Assert.Null(response.Header("access-control-expose-headers"));
        Assert.Equal("0", response.Header("content-length"));
        Assert.Empty(backend.Requests);

        // The connection stays usable.
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task Preflight_OtherOrigin_Forward_GoesUpstreamWithoutCorsFields()
    {
        var (backend, proxy) = await StartAsync(Policy(forward: true));
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Preflight("https://evil.example"));
        var response = await client.ReadResponseAsync();

        Assert.Equal("ok", response.BodyText);
        Assert.Equal("OPTIONS", Assert.Single(backend.Requests).Method);
        Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("access-control-", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Preflight_OtherOrigin_Ignore_Answered200WithoutAllowOrigin()
    {
        var (backend, proxy) = await StartAsync(Policy(forward: false));
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Preflight("https://evil.example"));
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Null(response.Header("access-control-allow-origin"));

        // Envoy still writes the policy's other preflight fields when the origin is not allowed.
        Assert.Equal("GET,PUT", response.Header("access-control-allow-methods"));
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task Preflight_WildcardMethodsAndHeaders_EchoTheRequest()
    {
        var policy = new CorsPolicy { AllowOrigins = [ValueMatcher.Exact("*")], AllowMethods = "*", AllowHeaders = "*" };
        var (backend, proxy) = await StartAsync(policy);
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        // An allow-origin matcher that accepts "*" allows every origin.
        await client.SendAsync(Preflight("https://anyone.example"));
        var response = await client.ReadResponseAsync();

        Assert.Equal("https://anyone.example", response.Header("access-control-allow-origin"));
        Assert.Equal("PUT", response.Header("access-control-allow-methods"));
        Assert.Equal("x-token", response.Header("access-control-allow-headers"));
        Assert.Null(response.Header("access-control-allow-credentials"));
        Assert.Null(response.Header("access-control-max-age"));
    }

    [Fact]
    public async Task ActualRequest_AllowedOrigin_ResponseGetsCorsFieldsReplacingUpstreams()
    {
        var (backend, proxy) = await StartAsync(Policy(), backendHeaders: "Access-Control-Allow-Origin: *\r\nX-Trace: 1\r\n");
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /api HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example.com\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(["https://app.example.com"], DirectResponseTests.Values(response, "access-control-allow-origin"));
        Assert.Equal("true", response.Header("access-control-allow-credentials"));
        Assert.Equal("x-trace", response.Header("access-control-expose-headers"));
        Assert.Null(response.Header("access-control-allow-methods"));
        Assert.Null(response.Header("vary"));
        Assert.Equal("https://app.example.com", Assert.Single(backend.Requests).Header("origin"));
    }

    [Fact]
    public async Task ActualRequest_OtherOrigin_ResponseUntouched()
    {
        var (backend, proxy) = await StartAsync(Policy(), backendHeaders: "Access-Control-Allow-Origin: https://upstream.example\r\n");
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /api HTTP/1.1\r\nHost: a\r\nOrigin: https://evil.example\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal("https://upstream.example", response.Header("access-control-allow-origin"));
        Assert.Null(response.Header("access-control-allow-credentials"));
    }

    [Theory]
    [InlineData("GET /api HTTP/1.1\r\nHost: a\r\n\r\n", "GET")]
    [InlineData("OPTIONS /api HTTP/1.1\r\nHost: a\r\nAccess-Control-Request-Method: PUT\r\n\r\n", "OPTIONS")]
    [InlineData("OPTIONS /api HTTP/1.1\r\nHost: a\r\nOrigin: \r\nAccess-Control-Request-Method: PUT\r\n\r\n", "OPTIONS")]
    public async Task NoOrigin_RequestAndResponseUntouched(string request, string method)
    {
        var (backend, proxy) = await StartAsync(Policy(), backendHeaders: "Access-Control-Allow-Origin: https://upstream.example\r\n");
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(request);
        var response = await client.ReadResponseAsync();

        Assert.Equal(method, Assert.Single(backend.Requests).Method);
        Assert.Equal("https://upstream.example", response.Header("access-control-allow-origin"));
        Assert.Null(response.Header("access-control-allow-credentials"));
    }
}
