using System.Net;
using System.Net.Sockets;
using Proxy.Hosting;

namespace Proxy.Host.Tests.Cli;

/// <summary>`proxy run` end to end in-process: CLI -> Istio YAML -> engine -> a real echo upstream.</summary>
public sealed class RunCommandTests
{
    [Fact]
    public async Task Run_ServesTheConfiguredRoute_AndExits0OnShutdown()
    {
        await using var echo = EchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 0), "v1");
        var gatewayPort = FreePort();
        using var config = new TempConfig();
        var path = config.Write("gateway.yaml", $$"""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              servers:
              - port: {number: {{gatewayPort}}, name: http, protocol: HTTP}
                hosts: ["*"]
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: echo}
            spec:
              hosts: [echo.test.local]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: STATIC
              endpoints: [{address: 127.0.0.1, ports: {http: {{echo.EndPoint.Port}} } }]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: echo}
            spec:
              hosts: ["*"]
              gateways: [gw]
              http:
              - route:
                - destination: {host: echo.test.local}
            """);
        var started = new TaskCompletionSource<ProxyGateway>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var shutdown = new CancellationTokenSource();

        var run = CliRunner.RunAsync(
            ["run", "--config", path, "--listen-address", "127.0.0.1", "--admin", "127.0.0.1:0"], g => started.TrySetResult(g), shutdown.Token);
        var gateway = await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };

        var ready = await http.GetAsync($"http://{gateway.AdminEndPoint}/ready");
        var response = await http.GetAsync($"http://127.0.0.1:{gatewayPort}/hello");
        var body = await response.Content.ReadAsStringAsync();
        await shutdown.CancelAsync();
        var result = await run;

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"name\":\"v1\"", body, StringComparison.Ordinal);
        Assert.Contains("\"path\":\"/hello\"", body, StringComparison.Ordinal);
        Assert.Equal(0, result.ExitCode);
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
