using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Upstream;

namespace Proxy.Engine.Tests.Upstream;

/// <summary>Istio warmup / Envoy slow start for round robin and least request.</summary>
public sealed class SlowStartTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(100);

    private static ClusterConfig Config(LoadBalancingPolicy policy, SlowStartConfig? slowStart, int endpoints) => new()
    {
        Name = "c",
        LoadBalancing = policy,
        SlowStart = slowStart,
        Endpoints = [.. Enumerable.Range(0, endpoints).Select(i => new EndpointConfig("127.0.0.1", 10000 + i))],
    };

    /// <summary>A cluster of two endpoints, then the same cluster with a third joining (as a config reload builds it).</summary>
    private static ClusterState Joined(FakeTimeProvider time, LoadBalancingPolicy policy, SlowStartConfig slowStart)
    {
        var original = new ClusterState(Config(policy, slowStart, 2), time);
        return new ClusterState(Config(policy, slowStart, 3), time, null, null, original);
    }

    private static double ShareOfNewest(ClusterState cluster, int picks = 3000)
    {
        var newest = cluster.Endpoints[2];
        var count = 0;
        for (var i = 0; i < picks; i++)
        {
            count += ReferenceEquals(cluster.PickEndpoint(), newest) ? 1 : 0;
        }

        return (double)count / picks;
    }

    [Theory]
    [InlineData(LoadBalancingPolicy.RoundRobin)]
    [InlineData(LoadBalancingPolicy.LeastRequest)]
    public void NewEndpoint_ShareGrowsOverWindow(LoadBalancingPolicy policy)
    {
        // Envoy slow start: weight * max(min_weight_percent, time_factor ^ (1 / aggression)), time_factor = age /
        // window; min 10 %, aggression 1.0 (Istio's defaults). Two old endpoints of weight 1, the new one:
        // at 0 s 0.1 -> 0.1 / 2.1; at 50 s 0.5 -> 0.5 / 2.5; after the window 1 -> 1 / 3.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var cluster = Joined(time, policy, new SlowStartConfig(Window));

        Assert.InRange(ShareOfNewest(cluster), (0.1 / 2.1) - 0.01, (0.1 / 2.1) + 0.01);

        time.Advance(TimeSpan.FromSeconds(50));
        Assert.InRange(ShareOfNewest(cluster), 0.2 - 0.02, 0.2 + 0.02);

        time.Advance(TimeSpan.FromSeconds(50));
        Assert.InRange(ShareOfNewest(cluster), (1 / 3.0) - 0.02, (1 / 3.0) + 0.02);
    }

    [Fact]
    public void Aggression_RampsFasterEarly()
    {
        // Aggression 2: at a quarter of the window, 0.25 ^ (1/2) = 0.5 of its weight -> 0.5 / 2.5 of the picks.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var cluster = Joined(time, LoadBalancingPolicy.RoundRobin, new SlowStartConfig(Window, Aggression: 2));

        time.Advance(TimeSpan.FromSeconds(25));

        Assert.InRange(ShareOfNewest(cluster), 0.2 - 0.02, 0.2 + 0.02);
    }

    [Fact]
    public void MinimumPercent_FloorsTheShare()
    {
        // minimumPercent 50: at 10 % of the window the new endpoint still gets half its weight -> 0.5 / 2.5.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var cluster = Joined(time, LoadBalancingPolicy.RoundRobin, new SlowStartConfig(Window, MinimumPercent: 50));

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.InRange(ShareOfNewest(cluster), 0.2 - 0.02, 0.2 + 0.02);
    }

    [Fact]
    public void NewCluster_EndpointsStartedTogether_NoWarmup()
    {
        // Endpoints present when the cluster is created all start at once; none is held back, round robin stays exact.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var cluster = new ClusterState(Config(LoadBalancingPolicy.RoundRobin, new SlowStartConfig(Window), 3), time);

        var ports = Enumerable.Range(0, 6).Select(_ => cluster.PickEndpoint()!.Config.Port).ToArray();

        Assert.Equal([10000, 10001, 10002, 10000, 10001, 10002], ports);
        Assert.All(cluster.Endpoints.ToArray(), e => Assert.Null(e.WarmupStarted));
    }

    [Fact]
    public void Rebuild_KeepsWhenEachEndpointJoined()
    {
        // A later rebuild carries join times by address:port: the warming endpoint does not restart its window, the
        // original ones stay out of slow start, an endpoint that left and comes back joins anew.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var slowStart = new SlowStartConfig(Window);
        var joined = Joined(time, LoadBalancingPolicy.RoundRobin, slowStart);
        var joinedAt = joined.Endpoints[2].WarmupStarted;

        time.Advance(TimeSpan.FromSeconds(30));
        var reloaded = new ClusterState(Config(LoadBalancingPolicy.RoundRobin, slowStart, 3), time, null, null, joined);
        var shrunk = new ClusterState(Config(LoadBalancingPolicy.RoundRobin, slowStart, 2), time, null, null, reloaded);
        var regrown = new ClusterState(Config(LoadBalancingPolicy.RoundRobin, slowStart, 3), time, null, null, shrunk);

        Assert.NotNull(joinedAt);
        Assert.Null(reloaded.Endpoints[0].WarmupStarted);
        Assert.Equal(joinedAt, reloaded.Endpoints[2].WarmupStarted);
        Assert.Equal(time.GetTimestamp(), regrown.Endpoints[2].WarmupStarted);
    }

    [Fact]
    public void Rebuild_OtherClusterName_Refused()
    {
        var time = new FakeTimeProvider();
        var other = new ClusterState(new ClusterConfig { Name = "other", Endpoints = [] }, time);

        Assert.Throws<ArgumentException>(() => new ClusterState(Config(LoadBalancingPolicy.RoundRobin, null, 1), time, null, null, other));
    }

    [Fact]
    public void AfterWindow_EqualWeights_BackToExactRoundRobin()
    {
        // Envoy skips the EDF scheduler once no endpoint is in slow start and weights are equal.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var cluster = Joined(time, LoadBalancingPolicy.RoundRobin, new SlowStartConfig(Window));
        ShareOfNewest(cluster, 100);

        time.Advance(Window);
        var first = cluster.PickEndpoint()!.Config.Port;
        var next = Enumerable.Range(0, 5).Select(_ => cluster.PickEndpoint()!.Config.Port).ToArray();

        Assert.Equal(Enumerable.Range(1, 5).Select(i => 10000 + ((first - 10000 + i) % 3)).ToArray(), next);
    }
}
