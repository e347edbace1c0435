using System.IO.Hashing;
using System.Text;
using Proxy.Engine.Config;
using Proxy.Engine.Http;
using Proxy.Engine.Upstream;

namespace Proxy.Engine.Tests.Upstream;

/// <summary>Ring hash and Maglev (Istio consistentHash) over Envoy's algorithms.</summary>
public sealed class ConsistentHashTests
{
    private const int Keys = 10_000;

    internal static ClusterState Cluster(LoadBalancingPolicy policy, HashPolicy? hash, params EndpointConfig[] endpoints) => new(
        new ClusterConfig { Name = "c", LoadBalancing = policy, HashPolicy = hash, Endpoints = endpoints }, TimeProvider.System);

    private static EndpointConfig[] Endpoints(int count, int skip = -1) =>
        [.. Enumerable.Range(1, count).Where(i => i != skip).Select(i => new EndpointConfig($"10.0.0.{i}", 80))];

    private static HttpRequestHead Request(string user) => HttpRequestHead.Create("GET", "/", new("Host", "a"), new("x-user", user));

    private static string PickFor(ClusterState cluster, string user)
        => cluster.PickEndpoint(new LoadBalancerContext(Request(user), null, null)).Endpoint!.ToString();

    /// <summary>Where each of <see cref="Keys"/> keys lands, by the cluster's table (the hash is Envoy's xxHash64 of
    /// the header value, which <see cref="PickFor"/> goes through end to end).</summary>
    private static string[] Map(ClusterState cluster)
    {
        var map = new string[Keys];
        for (var i = 0; i < Keys; i++)
        {
            var hash = XxHash64.HashToUInt64(Encoding.ASCII.GetBytes($"user-{i}"));
            var index = cluster.Ring?.Pick(hash) ?? cluster.Maglev!.Pick(hash);
            map[i] = cluster.Endpoints[index].ToString();
        }

        return map;
    }

    public static TheoryData<LoadBalancingPolicy> Algorithms => [LoadBalancingPolicy.RingHash, LoadBalancingPolicy.Maglev];

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void PickEndpoint_SameHeaderValue_SameEndpointAlways(LoadBalancingPolicy policy)
    {
        // Istio ConsistentHashLB: "soft session affinity based on HTTP headers": one key, one endpoint, for as long
        // as the endpoints stay the same (also across a rebuilt cluster state: the table is a function of them).
        var cluster = Cluster(policy, HashPolicy.Header("x-user"), Endpoints(5));
        var rebuilt = Cluster(policy, HashPolicy.Header("x-user"), Endpoints(5));

        for (var user = 0; user < 200; user++)
        {
            var first = PickFor(cluster, $"u{user}");
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(first, PickFor(cluster, $"u{user}"));
            }

            Assert.Equal(first, PickFor(rebuilt, $"u{user}"));
        }
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void PickEndpoint_ManyKeys_SpreadByWeight(LoadBalancingPolicy policy)
    {
        // Envoy normalizes endpoint weights for both hash balancers: ring points and Maglev slots are in proportion to
        // weight, so uniformly spread keys are too.
        var cluster = Cluster(policy, HashPolicy.Header("x-user"),
            new EndpointConfig("10.0.0.1", 80, 1), new EndpointConfig("10.0.0.2", 80, 2), new EndpointConfig("10.0.0.3", 80, 3), new EndpointConfig("10.0.0.4", 80, 4));

        var counts = Map(cluster).GroupBy(e => e).ToDictionary(g => g.Key, g => g.Count());

        for (var i = 1; i <= 4; i++)
        {
            var expected = Keys * i / 10.0;

            // Maglev's table is exact to a slot; a ring of ~1030 points places arcs at random, so its shares vary more.
            var tolerance = policy == LoadBalancingPolicy.Maglev ? 0.1 : 0.25;
            Assert.InRange(counts[$"10.0.0.{i}:80"], expected * (1 - tolerance), expected * (1 + tolerance));
        }
    }

    [Fact]
    public void RingHash_PointsPerEndpoint_FollowEnvoysScale()
    {
        // ring_hash_lb.cc: scale = ceil(min_normalized_weight * min_ring_size) / min_normalized_weight; each endpoint
        // gets scale * its normalized weight points. Weights 1:2, min ring 1024: ceil(1024 / 3) = 342 -> 342 and 684.
        var cluster = Cluster(LoadBalancingPolicy.RingHash, null, new EndpointConfig("10.0.0.1", 80, 1), new EndpointConfig("10.0.0.2", 80, 2));

        Assert.Equal(1026, cluster.Ring!.Size);
        Assert.Equal(342, cluster.Ring.PointsOf(0));
        Assert.Equal(684, cluster.Ring.PointsOf(1));
    }

    [Fact]
    public void Maglev_SlotsPerEndpoint_FollowWeights()
    {
        // maglev_lb.cc: an endpoint of the maximum weight takes a slot every round, one of half of it every other
        // round. Table size 65537 (Envoy's and Istio's default).
        var cluster = Cluster(LoadBalancingPolicy.Maglev, null, new EndpointConfig("10.0.0.1", 80, 1), new EndpointConfig("10.0.0.2", 80, 2));

        Assert.Equal(65537, cluster.Maglev!.Size);
        Assert.InRange(cluster.Maglev.SlotsOf(0), 21845 - 2, 21845 + 2);
        Assert.Equal(65537, cluster.Maglev.SlotsOf(0) + cluster.Maglev.SlotsOf(1));
    }

    [Fact]
    public void AddOneEndpoint_Maglev_MovesAboutOneInNPlusOneKeys()
    {
        // Istio: "any host addition or removal can break affinity for 1/backends requests"; Maglev's "minimal
        // disruption": 10 -> 11 endpoints moves about 1/11 of the keys, nearly all of them to the new endpoint.
        var before = Map(Cluster(LoadBalancingPolicy.Maglev, null, Endpoints(10)));
        var after = Map(Cluster(LoadBalancingPolicy.Maglev, null, Endpoints(11)));

        var moved = before.Zip(after).Count(p => p.First != p.Second);
        var toNew = after.Count(e => e == "10.0.0.11:80");

        const double share = Keys / 11.0;
        Assert.InRange(moved, share * 0.5, share * 1.6);
        Assert.InRange(toNew, share * 0.5, share * 1.6);
    }

    [Fact]
    public void AddOneEndpoint_RingHash_NewEndpointTakesAboutOneInNPlusOne_OthersRescaleLittle()
    {
        // Istio's 1/backends for the new endpoint's share. Envoy's ring keeps its size near minimumRingSize
        // (ring_hash_lb.cc), so each of 10 endpoints drops from ceil(1024/10) = 103 to ceil(1024/11) = 94 points when an
        // 11th joins; the keys of the dropped points move too, so the total moved is up to about 2/(N+1).
        var before = Map(Cluster(LoadBalancingPolicy.RingHash, null, Endpoints(10)));
        var after = Map(Cluster(LoadBalancingPolicy.RingHash, null, Endpoints(11)));

        var moved = before.Zip(after).Count(p => p.First != p.Second);
        var toNew = after.Count(e => e == "10.0.0.11:80");

        const double share = Keys / 11.0;
        Assert.InRange(toNew, share * 0.5, share * 1.6);
        Assert.InRange(moved, toNew, share * 2.2);
    }

    [Fact]
    public void RemoveOneEndpoint_Maglev_MovesItsKeysAndFewOthers()
    {
        // Maglev paper, 3.4: removing a backend reassigns its slots; other slots change only where permutations
        // collide, a small fraction.
        var before = Map(Cluster(LoadBalancingPolicy.Maglev, null, Endpoints(10)));
        var after = Map(Cluster(LoadBalancingPolicy.Maglev, null, Endpoints(10, skip: 4)));

        var removed = "10.0.0.4:80";
        Assert.DoesNotContain(removed, after);
        var othersMoved = before.Zip(after).Count(p => p.First != removed && p.First != p.Second);
        Assert.InRange(othersMoved, 0, Keys / 100);
    }

    [Fact]
    public void RemoveOneEndpoint_RingHash_MovesItsKeysAndOnlyRescaledOthers()
    {
        // Every key of the removed endpoint moves; the others move only where the remaining endpoints' new points
        // (103 -> 114 each as the ring rescales, ring_hash_lb.cc) land in front of them, well under 1/N.
        var before = Map(Cluster(LoadBalancingPolicy.RingHash, null, Endpoints(10)));
        var after = Map(Cluster(LoadBalancingPolicy.RingHash, null, Endpoints(10, skip: 4)));

        var removed = "10.0.0.4:80";
        Assert.DoesNotContain(removed, after);
        var othersMoved = before.Zip(after).Count(p => p.First != removed && p.First != p.Second);
        Assert.InRange(othersMoved, 0, Keys / 10 * 0.8);
    }

    [Fact]
    public void RemoveOneEndpoint_RingHashAtSamePointCount_MovesNoOtherKey()
    {
        // Consistent hashing proper: when the endpoints that stay keep their points (here min ring size 2 gives every
        // endpoint one point at both sizes), only the removed endpoint's keys move.
        static ClusterState Ring(int skip) => new(new ClusterConfig
        {
            Name = "c",
            LoadBalancing = LoadBalancingPolicy.RingHash,
            MinimumRingSize = 2,
            Endpoints = Endpoints(10, skip),
        }, TimeProvider.System);

        var before = Map(Ring(skip: -1));
        var after = Map(Ring(skip: 4));

        Assert.Equal(10, Ring(-1).Ring!.Size);
        var removed = "10.0.0.4:80";
        Assert.Equal(0, before.Zip(after).Count(p => p.First != removed && p.First != p.Second));
        Assert.Equal(before.Count(e => e == removed), before.Zip(after).Count(p => p.First != p.Second));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void PickEndpoint_NoHashKeyInRequest_PicksAtRandom(LoadBalancingPolicy policy)
    {
        // thread_aware_lb_impl.cc: "If there is no hash in the context, just choose a random value".
        var cluster = Cluster(policy, HashPolicy.Header("x-user"), Endpoints(3));
        var request = HttpRequestHead.Create("GET", "/", new KeyValuePair<string, string>("Host", "a"));

        var seen = new HashSet<string>();
        for (var i = 0; i < 300 && seen.Count < 3; i++)
        {
            seen.Add(cluster.PickEndpoint(new LoadBalancerContext(request, null, null)).Endpoint!.ToString());
        }

        Assert.Equal(3, seen.Count);
    }

    [Theory]
    [InlineData(65536)]
    [InlineData(1000)]
    [InlineData(1)]
    public void Maglev_TableSizeNotPrime_Refused(int size)
    {
        // maglev_lb.cc: "The table size of maglev must be prime number".
        var config = new ClusterConfig { Name = "c", LoadBalancing = LoadBalancingPolicy.Maglev, MaglevTableSize = size, Endpoints = Endpoints(2) };

        Assert.Throws<ArgumentException>(() => new ClusterState(config, TimeProvider.System));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void PickEndpoint_NoEndpoints_NoPick(LoadBalancingPolicy policy)
    {
        var cluster = Cluster(policy, HashPolicy.Header("x-user"));

        Assert.Null(cluster.PickEndpoint(new LoadBalancerContext(Request("u"), null, null)).Endpoint);
        Assert.Null(cluster.PickEndpoint());
    }
}
