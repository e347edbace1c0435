using Proxy.Engine.Config;
using Proxy.Engine.Tests.Infrastructure;
using Proxy.Engine.Transport;
using Proxy.Engine.Upstream;

namespace Proxy.Engine.Tests.Upstream;

public sealed class UpstreamConnectionPoolTests
{
    [Fact]
    public async Task LeaseAsync_ReusesTheMostRecentlyUsedIdleConnectionFirst()
    {
        await using var backend = new TestBackend();
        var cluster = new ClusterState(
            new ClusterConfig { Name = "b", Endpoints = [new EndpointConfig("127.0.0.1", backend.Port)] }, TimeProvider.System);
        var pool = cluster.Endpoints[0].Pool;
        var first = (await pool.LeaseAsync(cluster, TransportOptions.Default, fresh: false, CancellationToken.None)).Connection;
        var second = (await pool.LeaseAsync(cluster, TransportOptions.Default, fresh: false, CancellationToken.None)).Connection;
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.NotSame(first, second);

        var now = TimeProvider.System.GetTimestamp();
        pool.Return(first, now);
        pool.Return(second, now);

        // Warm sockets first: the last returned is the first leased; with none idle, a lease connects anew.
        Assert.Same(second, (await pool.LeaseAsync(cluster, TransportOptions.Default, fresh: false, CancellationToken.None)).Connection);
        Assert.Same(first, (await pool.LeaseAsync(cluster, TransportOptions.Default, fresh: false, CancellationToken.None)).Connection);
        Assert.Equal(0, pool.IdleCount);
        var third = (await pool.LeaseAsync(cluster, TransportOptions.Default, fresh: false, CancellationToken.None)).Connection;
        Assert.NotNull(third);
        // The backend counts a connection when its accept loop gets to it, which can trail the client's connect.
        await Http.FailureTests.PollAsync(() => backend.ConnectionCount == 3);

        await first.DisposeAsync();
        await second.DisposeAsync();
        await third.DisposeAsync();
    }
}
