using System.Text;
using BenchmarkDotNet.Attributes;
using Proxy.Engine.Http;
using Proxy.Engine.Routing;
using Proxy.Istio;

namespace Proxy.Benchmarks;

/// <summary>
/// The Istio router on a realistic gateway: 100 hosts x 10 routes mixing prefix, header and regex matches.
/// <see cref="Route_LateRouteOfMiddleHost"/> is the per-request cost (host lookup + 9 failed matches + 1 hit) and
/// must not allocate; <see cref="Build_100Hosts"/> is what a config reload costs (parse, validate, compile).
/// </summary>
[MemoryDiagnoser]
public class RouterBenchmark
{
    private const int Hosts = 100;
    private const int RoutesPerHost = 10;

    private IstioSource[] _sources = [];
    private IstioSource[] _distinctRegexSources = [];
    private IHttpRouter _router = null!;
    private HttpRequestHead _lateRoute = null!;
    private HttpRequestHead _firstRoute = null!;
    private HttpRequestHead _wildcardMiss = null!;

    [GlobalSetup]
    public void Setup()
    {
        _sources = [new IstioSource("bench.yaml", BuildYaml(distinctRegexes: false))];
        _distinctRegexSources = [new IstioSource("bench.yaml", BuildYaml(distinctRegexes: true))];
        var result = IstioConfigBuilder.Build(_sources, new IstioBuildOptions());
        if (!result.IsValid)
        {
            throw new InvalidOperationException(string.Join("\n", result.Errors));
        }

        _router = result.Config!.Listeners[0].Router!;

        // Host 50's route 9 is a prefix route; routes 0-8 fail first (3 prefix, 3 header lookups, 3 regexes).
        _lateRoute = HttpRequestHead.Create("GET", "/p9/items?page=2",
            new KeyValuePair<string, string>("Host", "svc50.example.com:8080"),
            new KeyValuePair<string, string>("User-Agent", "bench"),
            new KeyValuePair<string, string>("Accept", "*/*"));
        _firstRoute = HttpRequestHead.Create("GET", "/p0/items", new KeyValuePair<string, string>("Host", "svc50.example.com"));
        _wildcardMiss = HttpRequestHead.Create("GET", "/", new KeyValuePair<string, string>("Host", "unknown.other.org"));
        if (_router.Route(_lateRoute)?.Name != "svc50-r9" || _router.Route(_firstRoute)?.Name != "svc50-r0" || _router.Route(_wildcardMiss) is not null)
        {
            throw new InvalidOperationException("benchmark requests do not route as intended");
        }
    }

    [Benchmark(Baseline = true)]
    public HttpRoute? Route_FirstRouteOfMiddleHost() => _router.Route(_firstRoute);

    [Benchmark]
    public HttpRoute? Route_LateRouteOfMiddleHost() => _router.Route(_lateRoute);

    [Benchmark]
    public HttpRoute? Route_UnknownHost() => _router.Route(_wildcardMiss);

    /// <summary>Regex patterns repeat across hosts (3 distinct), so the per-build regex cache compiles each once.</summary>
    [Benchmark]
    public IstioBuildResult Build_100Hosts() => IstioConfigBuilder.Build(_sources, new IstioBuildOptions());

    /// <summary>Worst case: every one of the 300 regex routes has its own pattern.</summary>
    [Benchmark]
    public IstioBuildResult Build_100Hosts_DistinctRegexes() => IstioConfigBuilder.Build(_distinctRegexSources, new IstioBuildOptions());

    private static string BuildYaml(bool distinctRegexes)
    {
        var yaml = new StringBuilder("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              servers:
              - port: {number: 8080, name: http, protocol: HTTP}
                hosts: ["*"]
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: backend}
            spec:
              hosts: [backend.bench.local]
              resolution: STATIC
              ports: [{number: 80, name: http, protocol: HTTP}]
              endpoints:
              - {address: 10.0.0.1, labels: {version: v1}}
              - {address: 10.0.0.2, labels: {version: v2}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: backend}
            spec:
              host: backend.bench.local
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}

            """);
        for (var h = 0; h < Hosts; h++)
        {
            yaml.Append($"---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: svc{h}}}\nspec:\n  hosts: [svc{h}.example.com]\n  gateways: [gw]\n  http:\n");
            for (var r = 0; r < RoutesPerHost; r++)
            {
                var match = (r % 3) switch
                {
                    0 => $"{{uri: {{prefix: /p{r}}}}}",
                    1 => $"{{headers: {{x-route: {{exact: r{r}}}}}}}",
                    _ => distinctRegexes ? $"{{uri: {{regex: \"/h{h}/r{r}/[0-9]+(/.*)?\"}}}}" : $"{{uri: {{regex: \"/r{r}/[0-9]+(/.*)?\"}}}}",
                };
                yaml.Append($"  - name: svc{h}-r{r}\n    match: [{match}]\n    route:\n    - destination: {{host: backend.bench.local, subset: v1}}\n      weight: 90\n    - destination: {{host: backend.bench.local, subset: v2}}\n      weight: 10\n");
            }
        }

        return yaml.ToString();
    }
}
