using System.Net;
using Proxy.Engine.Config;
using Proxy.Engine.Tests.Http;
using Proxy.Engine.Tests.Infrastructure;
using Proxy.Engine.Transport;
using Proxy.Engine.Upstream;

namespace Proxy.Engine.Tests.Upstream.CircuitBreakers;

/// <summary>A ClusterState over real backends, with its own statistics, for pool-level breaker tests.</summary>
internal sealed class BreakerTestCluster
{
    private BreakerTestCluster(ClusterState state, ProxyStatistics statistics)
    {
        State = state;
        Statistics = statistics;
    }

    public ClusterState State { get; }

    public ProxyStatistics Statistics { get; }

    public UpstreamConnectionPool Pool => State.Endpoints[0].Pool;

    public static BreakerTestCluster Create(
        CircuitBreakerThresholds breakers, TimeProvider? timeProvider = null, Func<ClusterConfig, ClusterConfig>? configure = null, params IPEndPoint[] endpoints)
    {
        var config = new ClusterConfig
        {
            Name = "breakers",
            Endpoints = [.. endpoints.Select(e => new EndpointConfig(e.Address.ToString(), e.Port))],
            CircuitBreakers = breakers,
        };
        var statistics = new ProxyStatistics();
        return new(new ClusterState(configure?.Invoke(config) ?? config, timeProvider ?? TimeProvider.System, statistics), statistics);
    }

    public ValueTask<LeaseResult> LeaseAsync(int endpoint = 0, bool fresh = false, CancellationToken cancellationToken = default)
        => State.Endpoints[endpoint].Pool.LeaseAsync(State, TransportOptions.Default, fresh, cancellationToken);

    public async Task<UpstreamConnection> LeaseConnectedAsync(int endpoint = 0)
    {
        var lease = await LeaseAsync(endpoint).AsTask().WaitAsync(TestTimeouts.Default);
        Assert.Equal(LeaseFailure.None, lease.Failure);
        return lease.Connection!;
    }

    public void Return(UpstreamConnection connection) => connection.Endpoint.Pool.Return(connection, State.TimeProvider.GetTimestamp());

    /// <summary>Every count the breakers keep is back to zero, and no pool holds a connection or a waiter.</summary>
    public Task AssertDrainedAsync() => FailureTests.PollAsync(() =>
    {
        var drained = State.OpenConnections == 0 && State.PendingRequests == 0 && State.ActiveRequests == 0 && State.ActiveRetries == 0;
        foreach (var endpoint in State.Endpoints)
        {
            drained &= endpoint.Pool.ConnectionCount == 0 && endpoint.Pool.WaitingCount == 0;
        }

        return drained;
    });

    public static async Task CloseAsync(UpstreamConnection connection)
    {
        connection.Abort();
        await connection.DisposeAsync();
    }
}
