using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Tests.Http;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Upstream.CircuitBreakers;

/// <summary>MaxRequestsPerConnection and MaxConnectionDuration: when the pool closes a connection instead of keeping it.</summary>
public sealed class ConnectionLifetimeLimitTests
{
    [Fact]
    public async Task Return_MaxRequestsPerConnectionOne_ClosesAfterEveryRequest()
    {
        // Istio connectionPool.http.maxRequestsPerConnection: "Setting this parameter to 1 disables keep alive"
        // (Envoy closes the connection when it has carried max_requests_per_connection streams: upstream_cx_max_requests).
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(CircuitBreakerThresholds.Unlimited, configure: c => With(c, maxRequests: 1), endpoints: backend.EndPoint);

        for (var i = 0; i < 2; i++)
        {
            var connection = await cluster.LeaseConnectedAsync();
            Assert.False(connection.IsReused);
            cluster.Return(connection);
            Assert.True(connection.IsDisposed);
            Assert.Equal(0, cluster.Pool.IdleCount);
        }

        Assert.Equal(2, cluster.Statistics.MaxRequestsClosed);
        await cluster.AssertDrainedAsync();
        await FailureTests.PollAsync(() => backend.ConnectionCount == 2 && backend.OpenConnections == 0);
    }

    [Fact]
    public async Task Return_MaxRequestsPerConnectionThree_ReusesTwiceThenCloses()
    {
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(CircuitBreakerThresholds.Unlimited, configure: c => With(c, maxRequests: 3), endpoints: backend.EndPoint);
        var first = await cluster.LeaseConnectedAsync();
        cluster.Return(first);

        Assert.Same(first, await cluster.LeaseConnectedAsync());
        cluster.Return(first);
        Assert.Same(first, await cluster.LeaseConnectedAsync());
        Assert.Equal(2, first.RequestCount);
        Assert.Equal(0, cluster.Statistics.MaxRequestsClosed);

        cluster.Return(first);

        Assert.Equal(3, first.RequestCount);
        Assert.True(first.IsDisposed);
        Assert.Equal(1, cluster.Statistics.MaxRequestsClosed);
        Assert.NotSame(first, await cluster.LeaseConnectedAsync());
        Assert.Equal(2, backend.ConnectionCount);
        cluster.State.CloseIdleConnections();
    }

    [Fact]
    public async Task Return_MaxRequestsReachedWithAWaiter_WaiterConnectsInsteadOfReusing()
    {
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(new() { MaxConnections = 1 }, configure: c => With(c, maxRequests: 1), endpoints: backend.EndPoint);
        var first = await cluster.LeaseConnectedAsync();
        var waiting = cluster.LeaseAsync().AsTask();
        await FailureTests.PollAsync(() => cluster.Pool.WaitingCount == 1);

        cluster.Return(first);
        var second = await waiting.WaitAsync(TestTimeouts.Default);

        Assert.NotSame(first, second.Connection);
        Assert.Equal(1, cluster.State.OpenConnections);
        await BreakerTestCluster.CloseAsync(second.Connection!);
        await cluster.AssertDrainedAsync();
    }

    [Fact]
    public async Task MaxConnectionDuration_ClosesOnReturnOnLeaseAndBySweep()
    {
        // Istio connectionPool.tcp.maxConnectionDuration (Envoy max_connection_duration): the time since the connection
        // was established after which it is closed (drained when busy); upstream_cx_max_duration_reached counts it.
        var time = new FakeTimeProvider();
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(
            CircuitBreakerThresholds.Unlimited, time, c => With(c, maxDuration: TimeSpan.FromSeconds(10)), backend.EndPoint);

        // Returned past its duration: closed, not pooled.
        var old = await cluster.LeaseConnectedAsync();
        time.Advance(TimeSpan.FromSeconds(10));
        cluster.Return(old);
        Assert.True(old.IsDisposed);
        Assert.Equal(1, cluster.Statistics.MaxDurationClosed);

        // Idle when it expires: the sweep closes it.
        var swept = await cluster.LeaseConnectedAsync();
        time.Advance(TimeSpan.FromSeconds(9));
        cluster.Return(swept);
        cluster.State.Sweep(time.GetTimestamp());
        Assert.Equal(1, cluster.Pool.IdleCount);
        time.Advance(TimeSpan.FromSeconds(1));
        cluster.State.Sweep(time.GetTimestamp());
        Assert.True(swept.IsDisposed);
        Assert.Equal(2, cluster.Statistics.MaxDurationClosed);

        // Expired between sweeps: a lease skips it and connects anew.
        var skipped = await cluster.LeaseConnectedAsync();
        cluster.Return(skipped);
        time.Advance(TimeSpan.FromSeconds(10));
        var fresh = await cluster.LeaseConnectedAsync();
        Assert.NotSame(skipped, fresh);
        Assert.True(skipped.IsDisposed);
        Assert.Equal(3, cluster.Statistics.MaxDurationClosed);

        await BreakerTestCluster.CloseAsync(fresh);
        await cluster.AssertDrainedAsync();
        await FailureTests.PollAsync(() => backend.ConnectionCount == 4); // the accept can trail the connect
    }

    private static ClusterConfig With(ClusterConfig config, int maxRequests = 0, TimeSpan? maxDuration = null) => new()
    {
        Name = config.Name,
        Endpoints = config.Endpoints,
        CircuitBreakers = config.CircuitBreakers,
        MaxRequestsPerConnection = maxRequests,
        MaxConnectionDuration = maxDuration,
    };
}
