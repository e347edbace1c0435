using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Tests.Http;
using Proxy.Engine.Tests.Infrastructure;
using Proxy.Engine.Upstream;

namespace Proxy.Engine.Tests.Upstream.CircuitBreakers;

/// <summary>MaxConnections and MaxPendingRequests in the pool's lease, over real loopback connections.</summary>
public sealed class ConnectionPoolLimitTests
{
    [Fact]
    public async Task LeaseAsync_MaxConnectionsReached_NextLeaseWaitsAndGetsTheReturnedConnection()
    {
        // Envoy, "Circuit breaking": requests are added to the pending list whenever there aren't enough upstream
        // connections available to immediately dispatch the request; a connection released by a finished stream serves
        // the next pending one.
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(new() { MaxConnections = 1 }, endpoints: backend.EndPoint);
        var first = await cluster.LeaseConnectedAsync();

        var waiting = cluster.LeaseAsync().AsTask();
        await FailureTests.PollAsync(() => cluster.Pool.WaitingCount == 1);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, cluster.State.PendingRequests);
        Assert.Equal(1, cluster.State.OpenConnections);
        Assert.Equal(1, cluster.Statistics.ConnectionOverflows);

        cluster.Return(first);
        var second = await waiting.WaitAsync(TestTimeouts.Default);

        Assert.Equal(LeaseFailure.None, second.Failure);
        Assert.Same(first, second.Connection);
        Assert.True(second.Connection!.IsReused);
        Assert.Equal(0, cluster.State.PendingRequests);
        Assert.Equal(1, backend.ConnectionCount);

        await BreakerTestCluster.CloseAsync(second.Connection);
        await cluster.AssertDrainedAsync();
    }

    [Fact]
    public async Task LeaseAsync_PendingQueueFull_OverflowsAtOnce()
    {
        // Envoy, "Circuit breaking": if the pending-requests circuit breaker overflows, upstream_rq_pending_overflow
        // increments and the request fails (503 UO) without queueing.
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(new() { MaxConnections = 1, MaxPendingRequests = 1 }, endpoints: backend.EndPoint);
        var held = await cluster.LeaseConnectedAsync();
        using var cancel = new CancellationTokenSource();
        var waiting = cluster.LeaseAsync(cancellationToken: cancel.Token).AsTask();
        await FailureTests.PollAsync(() => cluster.Pool.WaitingCount == 1);

        var overflow = cluster.LeaseAsync();

        Assert.True(overflow.IsCompleted);
        var refused = await overflow;
        Assert.Equal(LeaseFailure.Overflow, refused.Failure);
        Assert.Null(refused.Connection);
        Assert.Equal(1, cluster.Statistics.PendingOverflows);
        Assert.Equal(1, cluster.State.PendingRequests);

        await cancel.CancelAsync();
        Assert.Equal(LeaseFailure.Canceled, (await waiting.WaitAsync(TestTimeouts.Default)).Failure);
        await BreakerTestCluster.CloseAsync(held);
        await cluster.AssertDrainedAsync();
    }

    [Fact]
    public async Task LeaseAsync_CancelledWhileWaiting_FreesThePendingSlot()
    {
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(new() { MaxConnections = 1, MaxPendingRequests = 1 }, endpoints: backend.EndPoint);
        var held = await cluster.LeaseConnectedAsync();

        using (var cancel = new CancellationTokenSource())
        {
            var waiting = cluster.LeaseAsync(cancellationToken: cancel.Token).AsTask();
            await FailureTests.PollAsync(() => cluster.Pool.WaitingCount == 1);
            await cancel.CancelAsync();

            var result = await waiting.WaitAsync(TestTimeouts.Default);
            Assert.Equal(LeaseFailure.Canceled, result.Failure);
            Assert.Equal(0, cluster.State.PendingRequests);
            Assert.Equal(0, cluster.Pool.WaitingCount);
        }

        // The slot is free again: the next lease queues instead of overflowing, and gets the returned connection.
        var next = cluster.LeaseAsync().AsTask();
        await FailureTests.PollAsync(() => cluster.Pool.WaitingCount == 1);
        cluster.Return(held);
        Assert.Same(held, (await next.WaitAsync(TestTimeouts.Default)).Connection);
        Assert.Equal(0, cluster.Statistics.PendingOverflows);

        await BreakerTestCluster.CloseAsync(held);
        await cluster.AssertDrainedAsync();
    }

    [Fact]
    public async Task LeaseAsync_AlreadyCancelledToken_EndsTheWaitAtOnce()
    {
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(new() { MaxConnections = 1 }, endpoints: backend.EndPoint);
        var held = await cluster.LeaseConnectedAsync();

        var result = await cluster.LeaseAsync(cancellationToken: new CancellationToken(canceled: true)).AsTask().WaitAsync(TestTimeouts.Default);

        Assert.Equal(LeaseFailure.Canceled, result.Failure);
        await BreakerTestCluster.CloseAsync(held);
        await cluster.AssertDrainedAsync();
    }

    [Fact]
    public async Task LeaseAsync_ConnectionOfThisPoolCloses_WaiterConnectsWithItsSlot()
    {
        // Envoy's ConnPoolImplBase::onConnectionEvent: "If we have pending streams and we just lost a connection we
        // should make a new one."
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(new() { MaxConnections = 1 }, endpoints: backend.EndPoint);
        var first = await cluster.LeaseConnectedAsync();
        var waiting = cluster.LeaseAsync().AsTask();
        await FailureTests.PollAsync(() => cluster.Pool.WaitingCount == 1);

        await BreakerTestCluster.CloseAsync(first);
        var second = await waiting.WaitAsync(TestTimeouts.Default);

        Assert.Equal(LeaseFailure.None, second.Failure);
        Assert.NotSame(first, second.Connection);
        Assert.False(second.Connection!.IsReused);
        await FailureTests.PollAsync(() => backend.ConnectionCount == 2);
        Assert.Equal(1, cluster.State.OpenConnections);

        await BreakerTestCluster.CloseAsync(second.Connection);
        await cluster.AssertDrainedAsync();
    }

    [Fact]
    public async Task LeaseAsync_WaitersAreServedOldestFirst()
    {
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(new() { MaxConnections = 1 }, endpoints: backend.EndPoint);
        var connection = await cluster.LeaseConnectedAsync();
        var older = cluster.LeaseAsync().AsTask();
        await FailureTests.PollAsync(() => cluster.Pool.WaitingCount == 1);
        var newer = cluster.LeaseAsync().AsTask();
        await FailureTests.PollAsync(() => cluster.Pool.WaitingCount == 2);

        cluster.Return(connection);
        Assert.Same(connection, (await older.WaitAsync(TestTimeouts.Default)).Connection);
        Assert.False(newer.IsCompleted);

        cluster.Return(connection);
        Assert.Same(connection, (await newer.WaitAsync(TestTimeouts.Default)).Connection);
        await BreakerTestCluster.CloseAsync(connection);
        await cluster.AssertDrainedAsync();
    }

    [Fact]
    public async Task LeaseAsync_FreshWaiter_GetsANewConnectionInsteadOfTheReturnedOne()
    {
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(new() { MaxConnections = 1 }, endpoints: backend.EndPoint);
        var used = await cluster.LeaseConnectedAsync();
        var waiting = cluster.LeaseAsync(fresh: true).AsTask();
        await FailureTests.PollAsync(() => cluster.Pool.WaitingCount == 1);

        cluster.Return(used);
        var fresh = await waiting.WaitAsync(TestTimeouts.Default);

        Assert.NotSame(used, fresh.Connection);
        Assert.True(used.IsDisposed);
        Assert.Equal(0, cluster.Pool.IdleCount);
        await BreakerTestCluster.CloseAsync(fresh.Connection!);
        await cluster.AssertDrainedAsync();
    }

    [Fact]
    public async Task LeaseAsync_FreshWithOnlyAnIdleConnectionHoldingTheSlot_ClosesItAndConnects()
    {
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(new() { MaxConnections = 1 }, endpoints: backend.EndPoint);
        var idle = await cluster.LeaseConnectedAsync();
        cluster.Return(idle);

        var fresh = await cluster.LeaseAsync(fresh: true).AsTask().WaitAsync(TestTimeouts.Default);

        Assert.Equal(LeaseFailure.None, fresh.Failure);
        Assert.NotSame(idle, fresh.Connection);
        Assert.True(idle.IsDisposed);
        Assert.Equal(1, cluster.State.OpenConnections);
        await BreakerTestCluster.CloseAsync(fresh.Connection!);
        await cluster.AssertDrainedAsync();
    }

    [Fact]
    public async Task LeaseAsync_EndpointWithNoConnection_OpensOneEvenWhenTheClusterIsFull()
    {
        // Envoy, "Circuit breaking": even if this circuit breaker has overflowed, Envoy will ensure that a host
        // selected by cluster load balancing has at least one connection allocated (upstream_cx_overflow still counts).
        await using var one = new TestBackend();
        await using var two = new TestBackend();
        var cluster = BreakerTestCluster.Create(new() { MaxConnections = 1 }, endpoints: [one.EndPoint, two.EndPoint]);
        var onOne = await cluster.LeaseConnectedAsync(endpoint: 0);

        var onTwo = await cluster.LeaseConnectedAsync(endpoint: 1);

        Assert.Equal(2, cluster.State.OpenConnections);
        Assert.Equal(1, cluster.Statistics.ConnectionOverflows);

        // The second endpoint now has a connection: the next lease there waits for it.
        var waiting = cluster.LeaseAsync(endpoint: 1).AsTask();
        await FailureTests.PollAsync(() => cluster.State.Endpoints[1].Pool.WaitingCount == 1);
        cluster.Return(onTwo);
        Assert.Same(onTwo, (await waiting.WaitAsync(TestTimeouts.Default)).Connection);

        await BreakerTestCluster.CloseAsync(onOne);
        await BreakerTestCluster.CloseAsync(onTwo);
        await cluster.AssertDrainedAsync();
    }

    [Fact]
    public async Task LeaseAsync_IdleConnection_IsReusedWithoutTouchingThePendingCount()
    {
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(new() { MaxConnections = 1, MaxPendingRequests = 0 }, endpoints: backend.EndPoint);

        // With no pending slot at all a lease can only be served by an idle connection; ConnectAsync (which bypasses
        // the breakers) puts one there.
        var (opened, _) = await cluster.Pool.ConnectAsync(cluster.State, Transport.TransportOptions.Default, CancellationToken.None);
        cluster.Return(opened!);

        var lease = cluster.LeaseAsync();

        Assert.True(lease.IsCompletedSuccessfully);
        Assert.Same(opened, (await lease).Connection);
        Assert.Equal(0, cluster.Statistics.PendingOverflows);
        Assert.Equal(LeaseFailure.Overflow, (await cluster.LeaseAsync()).Failure);
        await BreakerTestCluster.CloseAsync(opened!);
        await cluster.AssertDrainedAsync();
    }

    [Fact]
    public async Task LeaseAsync_RefusedConnect_FailsAndLeavesNothingCounted()
    {
        using var refusing = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        refusing.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var cluster = BreakerTestCluster.Create(new() { MaxConnections = 1 }, endpoints: (IPEndPoint)refusing.LocalEndPoint!);

        for (var i = 0; i < 3; i++)
        {
            var lease = await cluster.LeaseAsync().AsTask().WaitAsync(TestTimeouts.Default);
            Assert.Equal(LeaseFailure.ConnectFailed, lease.Failure);
            Assert.Equal(SocketError.ConnectionRefused, lease.Error);
        }

        await cluster.AssertDrainedAsync();
        Assert.Equal(0, cluster.Statistics.ConnectionOverflows);
    }

    [Fact]
    public async Task LeaseAsync_ConnectTimesOut_FailsEveryWaiterOfThePool()
    {
        // Envoy's ConnPoolImplBase::onConnectionEvent: on a connect failure "we purge all pending streams so that
        // calling code can determine what to do with the stream". The TLS handshake to a silent upstream never ends,
        // so the connect timeout (on the fake clock) is what fails it.
        var time = new FakeTimeProvider();
        await using var silent = new SilentBackend();
        var cluster = BreakerTestCluster.Create(
            new() { MaxConnections = 1 },
            time,
            c => new ClusterConfig
            {
                Name = c.Name,
                Endpoints = c.Endpoints,
                CircuitBreakers = c.CircuitBreakers,
                ConnectTimeout = TimeSpan.FromSeconds(5),
                Tls = new UpstreamTlsSettings { Sni = "silent.example.com", InsecureSkipVerify = true },
            },
            silent.EndPoint);
        var connecting = cluster.LeaseAsync().AsTask();

        // Wait for the ClientHello, not just the accept: the TLS deadline exists by then, and the TCP connect has
        // finished (advancing the clock while its continuation is still pending would time out the connect instead).
        await FailureTests.PollAsync(() => silent.BytesReceived > 0);
        var waiting = cluster.LeaseAsync().AsTask();
        await FailureTests.PollAsync(() => cluster.Pool.WaitingCount == 1);
        Assert.Equal(2, cluster.State.PendingRequests);

        await FailureTests.PollAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(5));
            return connecting.IsCompleted;
        });

        Assert.Equal(LeaseFailure.ConnectFailed, (await connecting).Failure);
        Assert.Equal(LeaseFailure.ConnectFailed, (await waiting.WaitAsync(TestTimeouts.Default)).Failure);
        Assert.Equal(1, cluster.Statistics.UpstreamTlsHandshakeErrors);
        await cluster.AssertDrainedAsync();
    }

    [Fact]
    public async Task LeaseAsync_TlsHandshakeFails_LeavesNothingCounted()
    {
        using var pki = TestPki.Create();
        using var certificate = pki.IssueServer("backend.example.com");
        await using var backend = new TestBackend(certificate: certificate);
        var cluster = BreakerTestCluster.Create(
            new() { MaxConnections = 1 },
            configure: c => new ClusterConfig
            {
                Name = c.Name,
                Endpoints = c.Endpoints,
                CircuitBreakers = c.CircuitBreakers,

                // The test CA is not trusted by the system store: verification fails.
                Tls = new UpstreamTlsSettings { Sni = "backend.example.com" },
            },
            endpoints: backend.EndPoint);

        var lease = await cluster.LeaseAsync().AsTask().WaitAsync(TestTimeouts.Default);

        Assert.Equal(LeaseFailure.ConnectFailed, lease.Failure);
        Assert.Equal(1, cluster.Statistics.UpstreamTlsHandshakeErrors);
        await cluster.AssertDrainedAsync();
    }

    [Fact]
    public async Task DisposeAsync_CalledTwiceAndAfterAbort_FreesTheSlotOnce()
    {
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(new() { MaxConnections = 2 }, endpoints: backend.EndPoint);
        var first = await cluster.LeaseConnectedAsync();
        var second = await cluster.LeaseConnectedAsync();
        Assert.Equal(2, cluster.State.OpenConnections);

        first.Abort();
        await first.DisposeAsync();
        await first.DisposeAsync();

        Assert.Equal(1, cluster.State.OpenConnections);
        Assert.Equal(1, cluster.Pool.ConnectionCount);
        await BreakerTestCluster.CloseAsync(second);
        await cluster.AssertDrainedAsync();
    }

    [Fact]
    public async Task CloseIdleConnections_OnStop_FreesEverySlot()
    {
        await using var backend = new TestBackend();
        var cluster = BreakerTestCluster.Create(CircuitBreakerThresholds.Unlimited, endpoints: backend.EndPoint);
        var connections = new List<UpstreamConnection>();
        for (var i = 0; i < 3; i++)
        {
            connections.Add(await cluster.LeaseConnectedAsync());
        }

        foreach (var connection in connections)
        {
            cluster.Return(connection);
        }

        Assert.Equal(3, cluster.State.OpenConnections);
        cluster.State.CloseIdleConnections();

        await cluster.AssertDrainedAsync();
        await FailureTests.PollAsync(() => backend.OpenConnections == 0);
    }
}
