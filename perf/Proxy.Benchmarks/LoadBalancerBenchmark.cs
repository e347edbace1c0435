using System.Net;
using BenchmarkDotNet.Attributes;
using Proxy.Engine.Config;
using Proxy.Engine.Http;
using Proxy.Engine.Upstream;

namespace Proxy.Benchmarks;

/// <summary>
/// One endpoint pick per request over a 20-endpoint cluster: consistent hashing by a request header (ring hash with
/// Envoy's default 1024 points, Maglev with its default 65537-slot table), Istio's default least request (power of two
/// choices) and round robin. Every pick must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class LoadBalancerBenchmark
{
    private const int Endpoints = 20;

    private ClusterState _ringHash = null!;
    private ClusterState _maglev = null!;
    private ClusterState _leastRequest = null!;
    private ClusterState _roundRobin = null!;
    private HttpRequestHead _request = null!;
    private readonly IPEndPoint _client = new(IPAddress.Parse("203.0.113.7"), 51234);
    private readonly IPEndPoint _gateway = new(IPAddress.Parse("10.0.0.1"), 8080);

    [GlobalSetup]
    public void Setup()
    {
        _ringHash = Cluster(LoadBalancingPolicy.RingHash);
        _maglev = Cluster(LoadBalancingPolicy.Maglev);
        _leastRequest = Cluster(LoadBalancingPolicy.LeastRequest);
        _roundRobin = Cluster(LoadBalancingPolicy.RoundRobin);
        _request = HttpRequestHead.Create("GET", "/api/items?page=2",
            new KeyValuePair<string, string>("Host", "shop.example.com"),
            new KeyValuePair<string, string>("User-Agent", "bench"),
            new KeyValuePair<string, string>("Accept", "*/*"),
            new KeyValuePair<string, string>("x-user", "user-12345"));
    }

    private static ClusterState Cluster(LoadBalancingPolicy policy) => new(new ClusterConfig
    {
        Name = "bench",
        LoadBalancing = policy,
        HashPolicy = HashPolicy.Header("x-user"),
        Endpoints = [.. Enumerable.Range(1, Endpoints).Select(i => new EndpointConfig($"10.1.0.{i}", 8080))],
    }, TimeProvider.System);

    [Benchmark(Baseline = true)]
    public object? RoundRobin() => _roundRobin.PickEndpoint(new LoadBalancerContext(_request, _client, _gateway)).Endpoint;

    [Benchmark]
    public object? LeastRequest() => _leastRequest.PickEndpoint(new LoadBalancerContext(_request, _client, _gateway)).Endpoint;

    [Benchmark]
    public object? RingHashByHeader() => _ringHash.PickEndpoint(new LoadBalancerContext(_request, _client, _gateway)).Endpoint;

    [Benchmark]
    public object? MaglevByHeader() => _maglev.PickEndpoint(new LoadBalancerContext(_request, _client, _gateway)).Endpoint;
}
