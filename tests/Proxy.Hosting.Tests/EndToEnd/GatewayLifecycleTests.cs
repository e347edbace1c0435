using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Proxy.Hosting.Tests.TestInfrastructure;

namespace Proxy.Hosting.Tests.EndToEnd;

public sealed class GatewayLifecycleTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "proxy-lifecycle-" + Guid.NewGuid().ToString("N"));
    private EchoServer _echo = null!;

    public Task InitializeAsync()
    {
        _echo = EchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 0), "v1");
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "gateway.yaml"), GatewayFixture.GatewayYaml(_echo.EndPoint.Port, _echo.EndPoint.Port, GatewayFixture.UnusedPort()));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _echo.DisposeAsync().DefaultTimeout();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task PostDrain_TurnsReadyTo503_StopsAccepting_AndKeepsAdminUp()
    {
        await using var gateway = await ProxyGateway.StartAsync(GatewayFixture.CreateOptions(_directory)).DefaultTimeout();
        await AdminClient.WaitUntilReadyAsync(gateway.AdminEndPoint!);
        var listener = gateway.GetBoundEndPoint("127.0.0.1_8080")!;

        var drain = await AdminClient.SendAsync(gateway.AdminEndPoint!, "POST", "/drain");
        var ready = await AdminClient.SendAsync(gateway.AdminEndPoint!, "GET", "/ready");

        Assert.Equal(200, drain.StatusCode);
        Assert.Equal(503, ready.StatusCode);
        Assert.True(gateway.IsDraining);
        await gateway.DrainAsync().DefaultTimeout();
        await Assert.ThrowsAnyAsync<SocketException>(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(listener).DefaultTimeout();
        });
        Assert.Equal(503, (await AdminClient.SendAsync(gateway.AdminEndPoint!, "GET", "/ready")).StatusCode);
    }

    [Fact]
    public async Task StopAsync_DrainsAndClosesAdmin()
    {
        var gateway = await ProxyGateway.StartAsync(GatewayFixture.CreateOptions(_directory)).DefaultTimeout();
        var admin = gateway.AdminEndPoint!;

        await gateway.StopAsync().DefaultTimeout();
        await gateway.DisposeAsync().DefaultTimeout();

        await Assert.ThrowsAnyAsync<SocketException>(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(admin).DefaultTimeout();
        });
    }

    [Fact]
    public async Task AdminOff_HasNoAdminEndPoint()
    {
        var options = GatewayFixture.CreateOptions(_directory);
        options.AdminEndPoint = null;

        await using var gateway = await ProxyGateway.StartAsync(options).DefaultTimeout();

        Assert.Null(gateway.AdminEndPoint);
        Assert.NotNull(gateway.GetBoundEndPoint("127.0.0.1_8080"));
    }

    [Fact]
    public async Task StartAsync_InvalidConfig_ThrowsWithEveryError()
    {
        var path = Path.Combine(_directory, "bad.yaml");
        File.WriteAllText(path, """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: bad
            spec:
              hosts:
              - bad.example.com
              http:
              - match:
                - uri:
                    regex: "a(b"
                route:
                - destination:
                    host: reviews.backend.internal
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: worse
            spec:
              hosts:
              - worse.example.com
              gateways:
              - test-gateway
              http:
              - route:
                - destination:
                    host: reviews.backend.internal
                    subset: v9
            """);
        var options = GatewayFixture.CreateOptions(Path.Combine(_directory, "gateway.yaml"));
        options.ConfigPaths.Add(path);

        var ex = await Assert.ThrowsAsync<ProxyGatewayConfigurationException>(() => ProxyGateway.StartAsync(options)).DefaultTimeout();

        Assert.Contains(ex.Errors, e => e.ToString().StartsWith(path + "[0] VirtualService default/bad: spec.http[0].match[0].uri.regex:", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.ToString().StartsWith(path + "[1] VirtualService default/worse: spec.http[0].route[0].destination.subset:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddProxyGateway_RunsWithTheHost()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddProxyGateway(options =>
        {
            options.ConfigPaths.Add(_directory);
            options.ListenAddress = IPAddress.Loopback;
            options.AdminEndPoint = new IPEndPoint(IPAddress.Loopback, 0);
            options.PortOverrides[8080] = 0;
        });
        using var host = builder.Build();

        await host.StartAsync().DefaultTimeout();
        var service = host.Services.GetRequiredService<ProxyGatewayHostedService>();
        var gateway = service.Gateway!;
        await AdminClient.WaitUntilReadyAsync(gateway.AdminEndPoint!);
        await using (var connection = await RawHttpConnection.ConnectAsync(gateway.GetBoundEndPoint("127.0.0.1_8080")!))
        {
            await connection.SendAsync($"GET / HTTP/1.1\r\nHost: {GatewayFixture.Host}\r\n\r\n");
            Assert.Equal(200, (await connection.ReadResponseAsync())!.StatusCode);
        }

        await host.StopAsync().DefaultTimeout();
        Assert.Null(service.Gateway);
    }
}
