using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http;

/// <summary>Istio's httpsRedirect (Envoy require_tls ALL): 301 to https, same authority (port 80 dropped) and target.</summary>
public sealed class HttpsRedirectTests
{
    [Theory]
    [InlineData("bookinfo.example.com", "/productpage?u=1", "https://bookinfo.example.com/productpage?u=1")]
    [InlineData("bookinfo.example.com:80", "/a", "https://bookinfo.example.com/a")]
    [InlineData("bookinfo.example.com:8080", "/a", "https://bookinfo.example.com:8080/a")]
    public async Task RedirectsToHttpsAndKeepsTheConnection(string host, string target, string location)
    {
        var router = new TableRouter().Add("*", "/", HttpRoute.CreateHttpsRedirect("redirect"));
        await using var proxy = await ProxyFixture.StartAsync(router, []);

        await using var client = await proxy.ConnectAsync();
        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync($"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n");
            var response = await client.ReadResponseAsync();
            Assert.Equal(301, response.Status);
            Assert.Equal(location, response.Header("location"));
            Assert.Equal("0", response.Header("content-length"));
        }
    }
}
