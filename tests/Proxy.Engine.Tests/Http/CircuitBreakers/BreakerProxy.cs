using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;
using Proxy.Engine.Upstream;

namespace Proxy.Engine.Tests.Http.CircuitBreakers;

/// <summary>What the HTTP circuit-breaker tests share: a backend that holds the requests to <c>/slow</c> until the test
/// releases them, and the check that every breaker count is back to rest.</summary>
internal static class BreakerProxy
{
    public const string Overflow = "upstream connect error or disconnect/reset before headers. reset reason: overflow";

    public static string Get(string path) => "GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n";

    /// <summary>Answers 200 with the target; a request to <c>/slow</c> waits for <paramref name="release"/> first
    /// (bounded, so a failing test cannot hang the backend).</summary>
    public static TestBackend SlowBackend(ManualResetEventSlim release) => new(r =>
    {
        if (r.Target.StartsWith("/slow", StringComparison.Ordinal))
        {
            release.Wait(TestTimeouts.Default);
        }

        return BackendReply.Ok(r.Target);
    });

    public static ClusterConfig Cluster(TestBackend backend, CircuitBreakerThresholds breakers, int maxRequestsPerConnection = 0)
    {
        var plain = ProxyFixture.Cluster("breakers", backend.EndPoint);
        return new ClusterConfig
        {
            Name = plain.Name,
            Endpoints = plain.Endpoints,
            CircuitBreakers = breakers,
            MaxRequestsPerConnection = maxRequestsPerConnection,
        };
    }

    /// <summary>Requests to <c>/timed</c> get <paramref name="timedRoute"/>'s timeout; everything else none.</summary>
    public static Task<ProxyFixture> StartAsync(ClusterConfig cluster, RequestLogRecorder log, TimeProvider? time = null, TimeSpan? timedRoute = null)
    {
        var router = new TableRouter()
            .Add("*", "/timed", new HttpRoute("timed", [new WeightedCluster(cluster, 100)]) { Timeout = timedRoute })
            .Add("*", "/", new HttpRoute("default", [new WeightedCluster(cluster, 100)]));
        var options = time is null ? new ProxyServerOptions { RequestLog = log } : new ProxyServerOptions { RequestLog = log, TimeProvider = time };
        return ProxyFixture.StartAsync(router, [cluster], options);
    }

    /// <summary>Nothing is pending, active or retrying, and every open connection is an idle pooled one.</summary>
    public static Task AssertAtRestAsync(ClusterState state) => FailureTests.PollAsync(() =>
    {
        var idle = 0;
        var waiting = 0;
        foreach (var endpoint in state.Endpoints)
        {
            idle += endpoint.Pool.IdleCount;
            waiting += endpoint.Pool.WaitingCount;
        }

        return state.OpenConnections == idle && waiting == 0 && state.PendingRequests == 0 && state.ActiveRequests == 0
            && state.ActiveRetries == 0;
    });
}
