using Proxy.Engine.Config;
using Proxy.Engine.Upstream;

namespace Proxy.Engine.Tests.Upstream;

public sealed class LoadBalancingTests
{
    private static ClusterState Cluster(LoadBalancingPolicy policy, params int[] weights) => new(
        new ClusterConfig
        {
            Name = "c",
            LoadBalancing = policy,
            Endpoints = [.. weights.Select((w, i) => new EndpointConfig("127.0.0.1", 10000 + i, w))],
        },
        TimeProvider.System);

    [Fact]
    public void PickEndpoint_RoundRobin_CyclesInOrder()
    {
        var cluster = Cluster(LoadBalancingPolicy.RoundRobin, 1, 1, 1);

        var ports = Enumerable.Range(0, 6).Select(_ => cluster.PickEndpoint()!.Config.Port).ToArray();

        Assert.Equal([10000, 10001, 10002, 10000, 10001, 10002], ports);
    }

    [Fact]
    public void PickEndpoint_RoundRobinWithWeights_FollowsWeightsExactlyPerCycle()
    {
        // Istio WorkloadEntry/ServiceEntry endpoint weight: traffic proportional to weight.
        var cluster = Cluster(LoadBalancingPolicy.RoundRobin, 3, 1);

        var picks = Enumerable.Range(0, 400).Select(_ => cluster.PickEndpoint()!.Config.Port).ToList();

        Assert.Equal(300, picks.Count(p => p == 10000));
        Assert.Equal(100, picks.Count(p => p == 10001));
    }

    [Fact]
    public void PickEndpoint_LeastRequest_PrefersTheLessLoadedEndpoint()
    {
        // Envoy LEAST_REQUEST (Istio's default): two random choices, the one with fewer active requests wins. With
        // two endpoints the busy one is chosen only when both draws hit it: probability 1/4.
        var cluster = Cluster(LoadBalancingPolicy.LeastRequest, 1, 1);
        var busy = cluster.Endpoints[0];
        for (var i = 0; i < 5; i++)
        {
            busy.OnRequestStarted();
        }

        var busyPicks = Enumerable.Range(0, 4000).Count(_ => ReferenceEquals(cluster.PickEndpoint(), busy));

        // Binomial(4000, 0.25): mean 1000, sd ~27; +-6 sd.
        Assert.InRange(busyPicks, 840, 1160);
    }

    [Fact]
    public void PickEndpoint_LeastRequestWithWeights_IdleEndpointsFollowWeights()
    {
        // Envoy LEAST_REQUEST with unequal weights schedules by weight / (active requests + 1) (active_request_bias
        // 1.0) on its EDF scheduler: idle endpoints get exactly their weight's share.
        var cluster = Cluster(LoadBalancingPolicy.LeastRequest, 3, 1);

        var picks = Enumerable.Range(0, 400).Select(_ => cluster.PickEndpoint()!.Config.Port).ToList();

        Assert.Equal(300, picks.Count(p => p == 10000));
        Assert.Equal(100, picks.Count(p => p == 10001));
    }

    [Fact]
    public void PickEndpoint_LeastRequestWithWeights_ActiveRequestsDivideWeight()
    {
        // Weight 2 with 3 requests in flight schedules as 2 / 4 = 0.5 against weight 1 idle (1 / 1): one pick in three.
        var cluster = Cluster(LoadBalancingPolicy.LeastRequest, 2, 1);
        for (var i = 0; i < 3; i++)
        {
            cluster.Endpoints[0].OnRequestStarted();
        }

        var picks = Enumerable.Range(0, 300).Select(_ => cluster.PickEndpoint()!.Config.Port).ToList();

        Assert.InRange(picks.Count(p => p == 10000), 99, 101);
    }

    [Fact]
    public void PickEndpoint_RandomWithWeights_FollowsWeights()
    {
        var cluster = Cluster(LoadBalancingPolicy.Random, 3, 1);

        var heavy = Enumerable.Range(0, 8000).Count(_ => cluster.PickEndpoint()!.Config.Port == 10000);

        // Binomial(8000, 0.75): mean 6000, sd ~39; +-6 sd.
        Assert.InRange(heavy, 5760, 6240);
    }

    [Fact]
    public void PickEndpoint_WithContextAndNoHashPolicy_UsesThePolicy()
    {
        var cluster = Cluster(LoadBalancingPolicy.RoundRobin, 1, 1, 1);
        var context = new LoadBalancerContext(null, null, null);

        var ports = Enumerable.Range(0, 3).Select(_ => cluster.PickEndpoint(context)).ToArray();

        Assert.Equal([10000, 10001, 10002], ports.Select(p => p.Endpoint!.Config.Port));
        Assert.All(ports, p => Assert.Null(p.SetCookie));
    }

    [Fact]
    public void PickEndpoint_NoEndpoints_ReturnsNull()
    {
        var cluster = Cluster(LoadBalancingPolicy.LeastRequest);

        Assert.Null(cluster.PickEndpoint());
    }
}
