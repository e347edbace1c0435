using Proxy.Engine.Config;
using Proxy.Engine.Tests.Infrastructure;
using Proxy.Engine.Transport;
using Proxy.Engine.Upstream;

namespace Proxy.Engine.Tests.Upstream;

public sealed class UpstreamConnectionPoolTests
{
    [Fact]
    public async Task TryLeaseIdle_ReturnsMostRecentlyUsedFirst()
    {
        await using var backend = new TestBackend();
        var cluster = new ClusterState(
            new ClusterConfig { Name = "b", Endpoints = [new EndpointConfig("127.0.0.1", backend.Port)] }, TimeProvider.System);
        var pool = cluster.Endpoints[0].Pool;
        var (first, _) = await pool.ConnectAsync(cluster, TransportOptions.Default, CancellationToken.None);
        var (second, _) = await pool.ConnectAsync(cluster, TransportOptions.Default, CancellationToken.None);
        Assert.NotNull(first);
        Assert.NotNull(second);

        var now = TimeProvider.System.GetTimestamp();
        pool.Return(first, now);
        pool.Return(second, now);

        Assert.Same(second, pool.TryLeaseIdle(now, TimeProvider.System, TimeSpan.FromHours(1)));
        Assert.Same(first, pool.TryLeaseIdle(now, TimeProvider.System, TimeSpan.FromHours(1)));
        Assert.Null(pool.TryLeaseIdle(now, TimeProvider.System, TimeSpan.FromHours(1)));

        await first.DisposeAsync();
        await second.DisposeAsync();
    }
}
