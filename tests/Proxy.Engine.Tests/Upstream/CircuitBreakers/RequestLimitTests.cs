namespace Proxy.Engine.Tests.Upstream.CircuitBreakers;

/// <summary>MaxRequests and MaxRetries: slots claimed per attempt and per retry.</summary>
public sealed class RequestLimitTests
{
    [Fact]
    public void TryStartRequest_AtMaxRequests_RefusesAndCountsUntilOneFinishes()
    {
        // Envoy, "Circuit breaking": cluster maximum requests is the number of requests that can be outstanding to all
        // hosts in a cluster at any given time; a request over it fails (503 UO).
        var cluster = BreakerTestCluster.Create(new() { MaxRequests = 2 });

        Assert.True(cluster.State.TryStartRequest());
        Assert.True(cluster.State.TryStartRequest());
        Assert.False(cluster.State.TryStartRequest());
        Assert.Equal(1, cluster.Statistics.RequestOverflows);
        Assert.Equal(2, cluster.State.ActiveRequests);

        cluster.State.FinishRequest();
        Assert.True(cluster.State.TryStartRequest());
        cluster.State.FinishRequest();
        cluster.State.FinishRequest();
        Assert.Equal(0, cluster.State.ActiveRequests);
    }

    [Fact]
    public void TryStartRetry_AtMaxRetries_RefusesAndCountsUntilOneFinishes()
    {
        // Envoy, "Circuit breaking": cluster maximum active retries; when it overflows upstream_rq_retry_overflow
        // increments and the retry is not made.
        var cluster = BreakerTestCluster.Create(new() { MaxRetries = 1 });

        Assert.True(cluster.State.TryStartRetry());
        Assert.False(cluster.State.TryStartRetry());
        Assert.Equal(1, cluster.Statistics.RetryOverflows);

        cluster.State.FinishRetry();
        Assert.True(cluster.State.TryStartRetry());
        cluster.State.FinishRetry();
        Assert.Equal(0, cluster.State.ActiveRetries);
    }

    [Fact]
    public void TryStartRequest_ZeroLimit_RefusesEverything()
    {
        var cluster = BreakerTestCluster.Create(new() { MaxRequests = 0, MaxRetries = 0 });

        Assert.False(cluster.State.TryStartRequest());
        Assert.False(cluster.State.TryStartRetry());
        Assert.Equal(0, cluster.State.ActiveRequests);
        Assert.Equal(0, cluster.State.ActiveRetries);
    }

    [Fact]
    public async Task TryStartRequest_ManyThreads_NeverPassesTheLimit()
    {
        const int limit = 3;
        var cluster = BreakerTestCluster.Create(new() { MaxRequests = limit });
        var peak = 0;
        var workers = new Task[4];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(() =>
            {
                for (var i = 0; i < 20_000; i++)
                {
                    if (cluster.State.TryStartRequest())
                    {
                        var now = cluster.State.ActiveRequests;
                        InterlockedMax(ref peak, now);
                        cluster.State.FinishRequest();
                    }
                }
            });
        }

        await Task.WhenAll(workers).WaitAsync(Infrastructure.TestTimeouts.Default);

        Assert.InRange(peak, 1, limit);
        Assert.Equal(0, cluster.State.ActiveRequests);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
