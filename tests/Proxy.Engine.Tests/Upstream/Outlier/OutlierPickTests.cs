using System.Net;
using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Upstream;

namespace Proxy.Engine.Tests.Upstream.Outlier;

/// <summary>Load balancing around ejected endpoints: Envoy's load balancers choose among healthy hosts, rebuilt on every
/// health change, with the healthy panic threshold.</summary>
public sealed class OutlierPickTests
{
    private static readonly OutlierDetectionConfig AllowAll = OutlierDetectionTests.AllowAll;

    private static void Eject(EndpointState endpoint)
    {
        for (var i = 0; i < 5; i++)
        {
            endpoint.ReportHttpStatus(500);
        }

        Assert.True(endpoint.IsEjected);
    }

    private static LoadBalancerContext Context(int client)
        => new(null, new IPEndPoint(IPAddress.Parse($"192.168.{client / 250}.{(client % 250) + 1}"), 40000), new IPEndPoint(IPAddress.Loopback, 8080));

    private static ClusterState Cluster(LoadBalancingPolicy policy, int[] weights, OutlierDetectionConfig outlier, TimeProvider time, ClusterState? previous = null, SlowStartConfig? slowStart = null)
        => new(
            new ClusterConfig
            {
                Name = "c",
                LoadBalancing = policy,
                OutlierDetection = outlier,
                SlowStart = slowStart,
                HashPolicy = policy is LoadBalancingPolicy.RingHash or LoadBalancingPolicy.Maglev ? HashPolicy.SourceIp() : null,
                Endpoints = [.. weights.Select((w, i) => new EndpointConfig($"10.0.0.{i + 1}", 80, w))],
            },
            time,
            null,
            null,
            previous);

    public static TheoryData<LoadBalancingPolicy, int[], bool> Policies => new()
    {
        { LoadBalancingPolicy.RoundRobin, [1, 1, 1, 1], false },
        { LoadBalancingPolicy.RoundRobin, [3, 1, 2, 1], false }, // EDF scheduler
        { LoadBalancingPolicy.LeastRequest, [1, 1, 1, 1], false },
        { LoadBalancingPolicy.LeastRequest, [3, 1, 2, 1], false }, // EDF scheduler
        { LoadBalancingPolicy.Random, [1, 1, 1, 1], false },
        { LoadBalancingPolicy.Random, [3, 1, 2, 1], false },
        { LoadBalancingPolicy.RingHash, [1, 1, 1, 1], false },
        { LoadBalancingPolicy.Maglev, [1, 2, 1, 1], false },
        { LoadBalancingPolicy.RoundRobin, [1, 1, 1, 1], true }, // slow start: the scheduler while endpoints warm up
        { LoadBalancingPolicy.LeastRequest, [1, 1, 1, 1], true },
    };

    [Theory]
    [MemberData(nameof(Policies))]
    public void EveryPolicy_PicksOnlyEndpointsNotEjected_AndAllAgainAfterTheyReturn(LoadBalancingPolicy policy, int[] weights, bool slowStart)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var outlier = AllowAll with { Interval = TimeSpan.FromSeconds(1) };
        ClusterState cluster;
        if (slowStart)
        {
            // Two endpoints join a running cluster of two, so they warm up.
            var warmup = new SlowStartConfig(TimeSpan.FromSeconds(600));
            var original = Cluster(policy, weights[..2], outlier, time, slowStart: warmup);
            cluster = Cluster(policy, weights, outlier, time, original, warmup);
        }
        else
        {
            cluster = Cluster(policy, weights, outlier, time);
        }

        // One healthy endpoint (2) among the ejected is a newcomer when warming up.
        Eject(cluster.Endpoints[1]);
        Eject(cluster.Endpoints[3]);
        Assert.Equal(2, cluster.PickableEndpoints.Length);

        var picked = new HashSet<EndpointState>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < 400; i++)
        {
            var endpoint = cluster.PickEndpoint(Context(i)).Endpoint!;
            Assert.False(endpoint.IsEjected);
            picked.Add(endpoint);
            var withoutContext = cluster.PickEndpoint()!;
            Assert.False(withoutContext.IsEjected);
            picked.Add(withoutContext);
        }

        Assert.Equal(2, picked.Count);

        // Ring hash and Maglev hash over the healthy endpoints only (Envoy rebuilds the tables).
        if (cluster.Ring is { } ring)
        {
            Assert.Equal(ring.Size, ring.PointsOf(0) + ring.PointsOf(1));
        }

        if (cluster.Maglev is { } maglev)
        {
            Assert.Equal(maglev.Size, maglev.SlotsOf(0) + maglev.SlotsOf(1));
        }

        OutlierDetectionTests.Heartbeats(cluster, time, 30);
        Assert.Equal(4, cluster.PickableEndpoints.Length);
        picked.Clear();
        for (var i = 0; i < 2000 && picked.Count < 4; i++)
        {
            picked.Add(cluster.PickEndpoint(Context(i)).Endpoint!);
        }

        Assert.Equal(4, picked.Count);
    }

    [Fact]
    public void ConsistentHash_KeysOfHealthyEndpointsMostlyStay()
    {
        // The ring is rebuilt over the healthy hosts: keys on the ejected endpoint move, most others stay (the
        // points are rescaled, so not all).
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var cluster = Cluster(LoadBalancingPolicy.RingHash, [1, 1, 1, 1], AllowAll, time);
        var before = Enumerable.Range(0, 300).Select(i => cluster.PickEndpoint(Context(i)).Endpoint!).ToArray();

        Eject(cluster.Endpoints[2]);
        var after = Enumerable.Range(0, 300).Select(i => cluster.PickEndpoint(Context(i)).Endpoint!).ToArray();

        var stayed = 0;
        var onHealthy = 0;
        for (var i = 0; i < before.Length; i++)
        {
            Assert.NotSame(cluster.Endpoints[2], after[i]);
            if (!ReferenceEquals(before[i], cluster.Endpoints[2]))
            {
                onHealthy++;
                stayed += ReferenceEquals(before[i], after[i]) ? 1 : 0;
            }
        }

        Assert.True(stayed > onHealthy * 0.8, $"{stayed} of {onHealthy} keys stayed");
    }

    [Fact]
    public void AllEjected_WithoutPanic_PickIsNull()
    {
        // MinHealthPercent 0 (Istio's default) disables panic: no healthy host -> no host (503 UH no healthy upstream).
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        foreach (var policy in new[] { LoadBalancingPolicy.RoundRobin, LoadBalancingPolicy.RingHash, LoadBalancingPolicy.Maglev })
        {
            var cluster = Cluster(policy, [1, 1], AllowAll, time);
            Eject(cluster.Endpoints[0]);
            Eject(cluster.Endpoints[1]);

            Assert.Null(cluster.PickEndpoint());
            Assert.Null(cluster.PickEndpoint(Context(1)).Endpoint);
            Assert.Null(cluster.PickEndpoint(Context(1), [cluster.Endpoints[0]]).Endpoint);
        }
    }

    [Fact]
    public void Panic_BelowMinHealthPercent_PicksAmongAllEndpoints()
    {
        // isHostSetInPanic: 100 * healthy / hosts < healthy_panic_threshold (Istio minHealthPercent) -> use all hosts.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var cluster = Cluster(LoadBalancingPolicy.RoundRobin, [1, 1, 1, 1], AllowAll with { MinHealthPercent = 50 }, time);

        Eject(cluster.Endpoints[0]);
        Eject(cluster.Endpoints[1]); // 50 % healthy: not below the threshold
        Assert.Equal(2, cluster.PickableEndpoints.Length);
        for (var i = 0; i < 8; i++)
        {
            Assert.False(cluster.PickEndpoint()!.IsEjected);
        }

        Eject(cluster.Endpoints[2]); // 25 %: panic
        Assert.Equal(4, cluster.PickableEndpoints.Length);
        var ports = Enumerable.Range(0, 8).Select(_ => cluster.PickEndpoint()!).Distinct().Count();
        Assert.Equal(4, ports);

        Eject(cluster.Endpoints[3]); // none healthy: still panic, still all
        Assert.NotNull(cluster.PickEndpoint());
    }

    [Fact]
    public void AvoidPrevious_RedoesPicksThatLandOnTriedEndpoints()
    {
        // Istio retry policies set the previous_hosts predicate with host_selection_retry_max_attempts 5.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var cluster = Cluster(LoadBalancingPolicy.RoundRobin, [1, 1, 1], new OutlierDetectionConfig(), time);
        EndpointState?[] tried = [cluster.Endpoints[0], null];

        for (var i = 0; i < 30; i++)
        {
            Assert.NotSame(cluster.Endpoints[0], cluster.PickEndpoint(default, tried).Endpoint);
        }
    }

    [Fact]
    public void AvoidPrevious_EveryEndpointTried_ReturnsTheLastPick()
    {
        // "If we didn't find anything, return the last host."
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var cluster = Cluster(LoadBalancingPolicy.RoundRobin, [1, 1], new OutlierDetectionConfig(), time);
        EndpointState?[] tried = [cluster.Endpoints[0], cluster.Endpoints[1]];

        var first = cluster.PickEndpoint(default, tried).Endpoint;
        var second = cluster.PickEndpoint(default, tried).Endpoint;

        // Six picks each (1 + 5 redone) in round robin: each call ends on the other endpoint than it started.
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Same(cluster.Endpoints[1], first);
        Assert.Same(cluster.Endpoints[1], second);
    }

    [Theory]
    [InlineData(LoadBalancingPolicy.RingHash)]
    [InlineData(LoadBalancingPolicy.Maglev)]
    public void AvoidPrevious_ConsistentHash_MovesToAnotherEndpoint(LoadBalancingPolicy policy)
    {
        // Ring: the retry takes the point `attempt` places on; Maglev: hash ^ (~0 - attempt + 1). Neither guarantees
        // another host, but 1 + 5 tries over three endpoints almost always find one.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var cluster = Cluster(policy, [1, 1, 1], new OutlierDetectionConfig(), time);
        var moved = 0;
        for (var client = 0; client < 200; client++)
        {
            var first = cluster.PickEndpoint(Context(client)).Endpoint;
            Assert.Same(first, cluster.PickEndpoint(Context(client)).Endpoint); // deterministic without avoid
            var retry = cluster.PickEndpoint(Context(client), [first]).Endpoint;
            moved += ReferenceEquals(first, retry) ? 0 : 1;
        }

        Assert.True(moved >= 195, $"{moved} of 200 retries moved");
    }

    [Theory]
    [InlineData(LoadBalancingPolicy.RoundRobin)]
    [InlineData(LoadBalancingPolicy.LeastRequest)]
    [InlineData(LoadBalancingPolicy.Random)]
    [InlineData(LoadBalancingPolicy.RingHash)]
    [InlineData(LoadBalancingPolicy.Maglev)]
    public void Pick_WithDetectionConfiguredAndNothingEjected_DoesNotAllocate(LoadBalancingPolicy policy)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var cluster = Cluster(policy, [1, 1, 1], AllowAll, time);
        var context = Context(7);
        EndpointState?[] tried = [cluster.Endpoints[0]];
        for (var i = 0; i < 100; i++)
        {
            Exercise(cluster, context, tried);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Exercise(cluster, context, tried);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        static void Exercise(ClusterState cluster, in LoadBalancerContext context, EndpointState?[] tried)
        {
            var endpoint = cluster.PickEndpoint(context).Endpoint!;
            endpoint.ReportLocalOrigin(LocalOriginResult.ConnectSuccess);
            endpoint.ReportHttpStatus(200);
            cluster.PickEndpoint(context, tried).Endpoint!.ReportHttpStatus(204);
            cluster.PickEndpoint();
        }
    }
}
