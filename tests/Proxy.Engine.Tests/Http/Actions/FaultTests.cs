using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http.Actions;

/// <summary>
/// Fault injection (Istio HTTPFaultInjection, Envoy's fault filter): a delay on the server's clock, then an abort
/// answered with the configured status and Envoy's body "fault filter abort" (fault_filter.cc), each on a percentage
/// of requests. Time is a FakeTimeProvider: a delayed request moves only when the test advances it.
/// </summary>
public sealed class FaultTests
{
    private static async Task<(TestBackend Backend, ProxyFixture Proxy)> StartAsync(FaultPolicy fault, TimeProvider? time = null, CorsPolicy? cors = null)
    {
        var backend = new TestBackend();
        var cluster = ProxyFixture.Cluster("b", backend.EndPoint);
        var route = new HttpRoute("r", [new WeightedCluster(cluster, 100)]) { Fault = fault, Cors = cors };
        var options = time is null ? null : new ProxyServerOptions { TimeProvider = time };
        return (backend, await ProxyFixture.StartAsync(new TableRouter().Add("*", "", route), [cluster], options));
    }

    [Fact]
    public async Task Abort_AnswersStatusAndEnvoyBody_WithoutForwarding()
    {
        var (backend, proxy) = await StartAsync(new FaultPolicy { AbortStatusCode = 418 });
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            var response = await client.ReadResponseAsync();
            Assert.StartsWith("HTTP/1.1 418 I'm a teapot\r\n", response.Head, StringComparison.Ordinal);
            Assert.Equal("fault filter abort", response.BodyText);
            Assert.Equal("text/plain", response.Header("content-type"));
            Assert.Null(response.Header("connection"));
        }

        Assert.Empty(backend.Requests);
        Assert.Equal(2, proxy.Server.Statistics.FaultAborts);
    }

    [Fact]
    public async Task Abort_ZeroPercent_Forwards()
    {
        var (backend, proxy) = await StartAsync(new FaultPolicy { AbortStatusCode = 503, AbortPercentage = 0 });
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        for (var i = 0; i < 20; i++)
        {
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        }

        Assert.Equal(20, backend.Requests.Count);
        Assert.Equal(0, proxy.Server.Statistics.FaultAborts);
    }

    [Fact]
    public async Task Abort_RequestWithBody_ClosesConnection()
    {
        var (backend, proxy) = await StartAsync(new FaultPolicy { AbortStatusCode = 500 });
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody");
        var response = await client.ReadResponseAsync();

        Assert.Equal(500, response.Status);
        Assert.Equal("close", response.Header("connection"));
        Assert.True(await client.IsClosedByPeerAsync());
        await FailureTests.PollAsync(() => proxy.Server.ConnectionCount == 0);
    }

    [Fact]
    public async Task Delay_HoldsRequestUntilTimeAdvances()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (backend, proxy) = await StartAsync(new FaultPolicy { Delay = TimeSpan.FromSeconds(5) }, time);
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
        await FailureTests.PollAsync(() => proxy.Server.Statistics.FaultDelays == 1);
        var response = client.ReadResponseAsync();

        // Short of the delay nothing moves: the timer has not fired, so nothing was forwarded or answered.
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Empty(backend.Requests);
        Assert.False(response.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(200, (await response).Status);
        Assert.Single(backend.Requests);
    }

    [Fact]
    public async Task Delay_ZeroPercent_DoesNotWait()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (backend, proxy) = await StartAsync(new FaultPolicy { Delay = TimeSpan.FromHours(1), DelayPercentage = 0 }, time);
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        Assert.Equal(0, proxy.Server.Statistics.FaultDelays);
    }

    [Fact]
    public async Task DelayThenAbort_AbortsAfterTheDelay()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (backend, proxy) = await StartAsync(new FaultPolicy { Delay = TimeSpan.FromSeconds(2), AbortStatusCode = 503 }, time);
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        await FailureTests.PollAsync(() => proxy.Server.Statistics.FaultDelays == 1);
        Assert.Equal(0, proxy.Server.Statistics.FaultAborts);
        time.Advance(TimeSpan.FromSeconds(2));

        var response = await client.ReadResponseAsync();
        Assert.Equal(503, response.Status);
        Assert.Equal("fault filter abort", response.BodyText);
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task Delay_ServerStop_CutsItShortAndFinishesTheRequest()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (backend, proxy) = await StartAsync(new FaultPolicy { Delay = TimeSpan.FromHours(1) }, time);
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        await FailureTests.PollAsync(() => proxy.Server.Statistics.FaultDelays == 1);
        using var stopDeadline = new CancellationTokenSource(TestTimeouts.Default);
        var stop = proxy.Server.StopAsync(stopDeadline.Token);

        // The drain ends the injected delay; the request is served and the connection closes after it.
        var response = await client.ReadResponseAsync();
        Assert.Equal(200, response.Status);
        Assert.Equal("close", response.Header("connection"));
        await stop.WaitAsync(TestTimeouts.Default);
        Assert.Equal(0, proxy.Server.ConnectionCount);
    }

    [Fact]
    public async Task Abort_FromAllowedCorsOrigin_CarriesCorsFields()
    {
        // Istio's filter chain runs CORS before fault: the abort reply passes the CORS filter's encodeHeaders.
        var cors = new CorsPolicy { AllowOrigins = [ValueMatcher.Exact("https://app.example.com")] };
        var (backend, proxy) = await StartAsync(new FaultPolicy { AbortStatusCode = 503 }, cors: cors);
        await using var _ = backend;
        await using var __ = proxy;
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example.com\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(503, response.Status);
        Assert.Equal("https://app.example.com", response.Header("access-control-allow-origin"));
    }
}
