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
        var path = config.Write("gateway.yaml", GatewayYaml(gatewayPort, echo.EndPoint.Port));
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

    [Theory]
    [InlineData("json")]
    [InlineData("text")]
    public async Task Run_AccessLogToAFile_OneLinePerRequest(string format)
    {
        await using var echo = EchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 0), "v1");
        var gatewayPort = FreePort();
        using var config = new TempConfig();
        var path = config.Write("gateway.yaml", GatewayYaml(gatewayPort, echo.EndPoint.Port));
        var logPath = Path.Combine(config.Root, "access.log");
        var started = new TaskCompletionSource<ProxyGateway>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var shutdown = new CancellationTokenSource();

        var run = CliRunner.RunAsync(
            ["run", "--config", path, "--listen-address", "127.0.0.1", "--admin", "off", "--access-log", logPath, "--access-log-format", format],
            g => started.TrySetResult(g),
            shutdown.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{gatewayPort}/hello")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{gatewayPort}/again?x=1")).StatusCode);
        await shutdown.CancelAsync();
        var result = await run;

        // The gateway stopped: the writer flushed what was queued and closed the file.
        Assert.Equal(0, result.ExitCode);
        var lines = File.ReadAllLines(logPath);
        Assert.Equal(2, lines.Length);
        if (format == "json")
        {
            using var first = System.Text.Json.JsonDocument.Parse(lines[0]);
            using var second = System.Text.Json.JsonDocument.Parse(lines[1]);
            Assert.Equal("/hello", first.RootElement.GetProperty("path").GetString());
            Assert.Equal(200, first.RootElement.GetProperty("response_code").GetInt32());
            Assert.Equal("via_upstream", first.RootElement.GetProperty("response_code_details").GetString());
            Assert.Equal($"127.0.0.1:{echo.EndPoint.Port}", first.RootElement.GetProperty("upstream_host").GetString());
            Assert.Equal("/again?x=1", second.RootElement.GetProperty("path").GetString());
        }
        else
        {
            // Istio's default text format starts with Envoy's: [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS%.
            Assert.Matches(@"^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] ""GET /hello HTTP/1\.1"" 200 - via_upstream - ""-"" 0 \d+ \d+ - ", lines[0]);
            Assert.Contains($@"""127.0.0.1:{echo.EndPoint.Port}""", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("[", lines[1], StringComparison.Ordinal);
            Assert.Contains(@"""GET /again?x=1 HTTP/1.1"" 200 -", lines[1], StringComparison.Ordinal);
        }
    }

    private static string GatewayYaml(int gatewayPort, int echoPort) => $$"""
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
              endpoints: [{address: 127.0.0.1, ports: {http: {{echoPort}} } }]
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
            """;

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
