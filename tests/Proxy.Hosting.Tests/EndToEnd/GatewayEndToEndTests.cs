using System.Net;
using System.Text.Json;
using Proxy.Hosting.Tests.TestInfrastructure;

namespace Proxy.Hosting.Tests.EndToEnd;

/// <summary>Client -> gateway -> echo backends over real loopback sockets, configured from Istio YAML.</summary>
public sealed class GatewayEndToEndTests : IClassFixture<GatewayFixture>, IDisposable
{
    private readonly GatewayFixture _fixture;
    private readonly HttpClient _client;

    public GatewayEndToEndTests(GatewayFixture fixture)
    {
        _fixture = fixture;
        _client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task DefaultRoute_SplitsTraffic90To10()
    {
        const int Requests = 1000;
        var v2 = 0;
        for (var i = 0; i < Requests; i++)
        {
            var (status, backend) = await SendAsync(GatewayFixture.Host, "/");
            Assert.Equal(HttpStatusCode.OK, status);
            if (backend == "v2")
            {
                v2++;
            }
        }

        // Binomial(1000, 0.1): mean 100, sd 9.5; [55, 145] is beyond 4.5 sd either side.
        Assert.InRange(v2, 55, 145);
    }

    [Fact]
    public async Task HeaderMatch_EndUserJason_AlwaysV2()
    {
        for (var i = 0; i < 50; i++)
        {
            var (status, backend) = await SendAsync(GatewayFixture.Host, "/", ("end-user", "jason"));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("v2", backend);
        }
    }

    [Fact]
    public async Task PathMatch_V2Prefix_AlwaysV2()
    {
        for (var i = 0; i < 50; i++)
        {
            var (status, backend) = await SendAsync(GatewayFixture.Host, "/v2/items?page=1");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("v2", backend);
        }
    }

    [Fact]
    public async Task HostHeaderPort_IsIgnoredForMatching()
    {
        var (status, _) = await SendAsync(GatewayFixture.Host + ":8080", "/");

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task UnknownHost_WithoutCatchAll_Is404()
    {
        var (status, backend) = await SendAsync("unknown.example.com", "/");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Null(backend);
    }

    [Fact]
    public async Task EndpointDown_Is503()
    {
        var (status, backend) = await SendAsync(GatewayFixture.DownHost, "/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Null(backend);
    }

    [Fact]
    public async Task RawSocket_KeepAliveThroughGateway_ReachesEcho()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_fixture.GatewayEndPoint);

        await connection.SendAsync($"GET /v2/a HTTP/1.1\r\nHost: {GatewayFixture.Host}\r\n\r\n");
        var first = await connection.ReadResponseAsync();
        await connection.SendAsync($"GET /v2/b HTTP/1.1\r\nHost: {GatewayFixture.Host}\r\n\r\n");
        var second = await connection.ReadResponseAsync();

        Assert.Equal("v2", first!.Header("x-echo-name"));
        Assert.Equal("v2", second!.Header("x-echo-name"));
        using var json = JsonDocument.Parse(second.Body);
        Assert.Equal("/v2/b", json.RootElement.GetProperty("path").GetString());
    }

    private async Task<(HttpStatusCode Status, string? Backend)> SendAsync(string host, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{_fixture.GatewayEndPoint}{path}");
        request.Headers.Host = host;
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        using var response = await _client.SendAsync(request).DefaultTimeout();
        await response.Content.ReadAsByteArrayAsync().DefaultTimeout();
        var backend = response.Headers.TryGetValues("x-echo-name", out var values) ? values.Single() : null;
        return (response.StatusCode, backend);
    }
}
