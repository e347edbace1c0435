using System.Diagnostics;
using System.Globalization;
using System.Net;
using Proxy.Hosting.Tests.EndToEnd;
using Proxy.Hosting.Tests.TestInfrastructure;
using Xunit.Abstractions;

namespace Proxy.Hosting.Tests.Soak;

[CollectionDefinition(nameof(SoakRunsAlone), DisableParallelization = true)]
public sealed class SoakRunsAlone;

/// <summary>
/// A minute of mixed keep-alive load (GET and POST) through the gateway to three backends that each fail about 10% of
/// requests (5xx, close before the head, reset mid-body, slower than the per-try timeout), under a VirtualService
/// with retries and timeouts and a DestinationRule with circuit breakers and outlier detection, all from Istio YAML.
/// Afterwards every upstream connection is closed again (idle timeout), and the process's file descriptors are back to
/// their count before the load: nothing leaked on any failure path. Runs alone (its own collection) so other tests'
/// sockets do not blur the descriptor count. <c>PROXY_SOAK_SECONDS</c> changes the duration (default 60).
/// </summary>
[Collection(nameof(SoakRunsAlone))]
public sealed class ResilienceSoakTests(ITestOutputHelper output)
{
    private const int Clients = 8;
    private const int MaxRequestsPerClient = 40_000;

    [Fact]
    public async Task MixedLoadAgainstFailingBackends_LeavesNoConnectionOrHandleBehind()
    {
        var duration = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("PROXY_SOAK_SECONDS"), out var s) ? s : 60);
        var directory = Path.Combine(Path.GetTempPath(), "proxy-soak-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        await using var a = new FlakyBackend("a", 1, TimeSpan.FromMilliseconds(700));
        await using var b = new FlakyBackend("b", 2, TimeSpan.FromMilliseconds(700));
        await using var c = new FlakyBackend("c", 3, TimeSpan.FromMilliseconds(700));
        File.WriteAllText(Path.Combine(directory, "soak.yaml"), Yaml(a.EndPoint.Port, b.EndPoint.Port, c.EndPoint.Port));
        var gateway = await ProxyGateway.StartAsync(GatewayFixture.CreateOptions(directory)).DefaultTimeout();
        try
        {
            var endPoint = gateway.GetBoundEndPoint("127.0.0.1_8080")!;
            await AdminClient.WaitUntilReadyAsync(gateway.AdminEndPoint!);
            var baseline = Descriptors();

            var stop = Stopwatch.StartNew();
            var results = await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => RunClientAsync(endPoint, i, duration)));
            var total = new Tally();
            foreach (var r in results)
            {
                total.Add(r);
            }

            var statistics = gateway.Statistics;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{total.Requests} requests in {stop.Elapsed.TotalSeconds:F0} s: {total.Ok} ok, {total.ServerErrors} 5xx, {total.Cut} cut mid-body; " +
                $"backends saw {a.Requests + b.Requests + c.Requests} requests, {a.Failures + b.Failures + c.Failures} failed; " +
                $"retries {statistics.Retries}, exhausted {statistics.RetriesExhausted}, retry overflows {statistics.RetryOverflows}, " +
                $"per-try timeouts {statistics.PerTryTimeouts}, route timeouts {statistics.RouteTimeouts}, resets {statistics.UpstreamResets}, " +
                $"incomplete {statistics.UpstreamIncompleteResponses}, ejections {statistics.OutlierEjections}, " +
                $"pending overflows {statistics.PendingOverflows}, closed by max requests {statistics.MaxRequestsClosed}"));

            // Every request was answered or cut (never hung: each read has a deadline), and retries hid most failures.
            Assert.True(total.Requests > 1000, "The load ran.");
            Assert.True(total.Ok >= total.Requests * 0.9, "Retries answer at least 90% with a 200.");
            Assert.True(total.Cut <= total.Requests * 0.03, "Only responses broken off mid-body (about 1%) cut the connection.");
            Assert.True(statistics.Retries > 0 && statistics.PerTryTimeouts > 0 && statistics.UpstreamIncompleteResponses > 0,
                "The failure paths were exercised.");

            // Nothing left behind: pooled connections expire (idleTimeout 2s), the backends see every connection
            // closed, and the process holds no more descriptors than before the load.
            await PollAsync(
                () => statistics.UpstreamConnectionsOpen == 0 && a.OpenConnections + b.OpenConnections + c.OpenConnections == 0,
                () => $"upstream connections open {statistics.UpstreamConnectionsOpen}, backends {a.OpenConnections} {b.OpenConnections} {c.OpenConnections}");
            // Assemblies the load made the runtime open (a .dll or .pdb mapped on first use) are not leaks.
            await PollAsync(
                () => Descriptors().Count <= baseline.Count,
                () => $"{Descriptors().Count} descriptors open besides assembly files, {baseline.Count} before the load; new: {string.Join(", ", Descriptors().Except(baseline))}");
        }
        finally
        {
            await gateway.DisposeAsync().DefaultTimeout();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<Tally> RunClientAsync(IPEndPoint endPoint, int client, TimeSpan duration)
    {
        var tally = new Tally();
        var deadline = Stopwatch.StartNew();
        RawHttpConnection? connection = null;
        var body = new string('x', 64 + client);
        try
        {
            for (var i = 0; i < MaxRequestsPerClient && deadline.Elapsed < duration; i++)
            {
                connection ??= await RawHttpConnection.ConnectAsync(endPoint);
                var post = i % 3 == 0;
                await connection.SendAsync(post
                    ? string.Create(CultureInfo.InvariantCulture, $"POST /orders HTTP/1.1\r\nHost: soak.example.com\r\nContent-Length: {body.Length}\r\n\r\n{body}")
                    : "GET /items HTTP/1.1\r\nHost: soak.example.com\r\n\r\n");
                tally.Requests++;
                RawHttpResponse? response;
                try
                {
                    response = await connection.ReadResponseAsync();
                }
                catch (Exception e) when (e is InvalidOperationException or System.Net.Sockets.SocketException)
                {
                    response = null; // a reset mid-body reaches the client as a cut connection (closed or reset)
                }

                if (response is null)
                {
                    tally.Cut++;
                    await connection.DisposeAsync();
                    connection = null;
                    continue;
                }

                if (response.StatusCode == 200)
                {
                    tally.Ok++;
                }
                else
                {
                    Assert.True(response.StatusCode is 500 or 503 or 504, $"Unexpected status {response.StatusCode}: {response.Body}");
                    tally.ServerErrors++;
                }

                if (string.Equals(response.Header("connection"), "close", StringComparison.OrdinalIgnoreCase))
                {
                    await connection.DisposeAsync();
                    connection = null;
                }

                // Paced a little, so the minute of load leaves the machine's other test runs some CPU.
                if (i % 16 == 15)
                {
                    await Task.Delay(1);
                }
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }

        return tally;
    }

    /// <summary>The process's open file descriptors (sockets, pipes, epoll, files), less the assembly files the runtime
    /// maps as code is first used.</summary>
    private static List<string> Descriptors()
    {
        var targets = new List<string>();
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed while listing
            }

            if (target is not null && (target.EndsWith(".dll", StringComparison.Ordinal) || target.EndsWith(".pdb", StringComparison.Ordinal)))
            {
                continue;
            }

            targets.Add(Path.GetFileName(fd) + "->" + target);
        }

        return targets;
    }

    private static async Task PollAsync(Func<bool> condition, Func<string> state)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "Not back to the baseline: " + state());
            await Task.Delay(50);
        }
    }

    private sealed class Tally
    {
        public long Requests;
        public long Ok;
        public long ServerErrors;
        public long Cut;

        public void Add(Tally other)
        {
            Requests += other.Requests;
            Ok += other.Ok;
            ServerErrors += other.ServerErrors;
            Cut += other.Cut;
        }
    }

    private static string Yaml(int a, int b, int c) => IstioYaml.Gateway + IstioYaml.ServiceEntry("app", "app.internal", a, b, c) + """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: soak
        spec:
          hosts: [soak.example.com]
          gateways: [gw]
          http:
          - route: [{destination: {host: app.internal}}]
            timeout: 3s
            retries:
              attempts: 3
              perTryTimeout: 300ms
              retryOn: 5xx,reset
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: app
        spec:
          host: app.internal
          trafficPolicy:
            connectionPool:
              tcp:
                maxConnections: 24
              http:
                http1MaxPendingRequests: 64
                maxRequestsPerConnection: 20
                maxRetries: 16
                idleTimeout: 2s
            outlierDetection:
              consecutive5xxErrors: 3
              interval: 1s
              baseEjectionTime: 2s
              maxEjectionPercent: 34
        """;
}
