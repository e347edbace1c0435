using System.Text;
using BenchmarkDotNet.Attributes;
using Proxy.Engine.Http;
using Proxy.Engine.Routing;
using Proxy.Istio;
using Proxy.Istio.Compilation;
using Proxy.Istio.Loading;
using IstioDiagnostics = Proxy.Istio.Loading.Diagnostics;
using Proxy.Istio.Parsing;

namespace Proxy.Benchmarks;

/// <summary>
/// The Istio router on a large gateway: 1,000 hosts x 20 routes (issue 4's scale), most routes prefix matches, some
/// header, regex and exact matches, as a gateway fronting many services looks. 900 hosts are exact names, 100 are
/// wildcards. The Route_* benchmarks are the per-request cost (host lookup + failed matches + the hit) and must not
/// allocate; the Build_* benchmarks are what a config reload costs (parse, validate, compile).
/// </summary>
/// <remarks>
/// Routes of every host, in order (P prefix, H header, R regex, E exact):
/// <c>P P H P R P E P H P P R P E P H P R P P</c>. Issue 4's targets: under 1 us p50 for prefix and header routes with
/// 0 B allocated; a compile under 200 ms.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
public class RouterBenchmark
{
    private const int Hosts = 1_000;
    private const int WildcardHosts = 100;
    private const int RoutesPerHost = 20;
    private const string Kinds = "PPHPRPEPHPPRPEPHPRPP";

    private IstioSource[] _sources = [];
    private IstioSource[] _distinctRegexSources = [];
    private List<ParsedDocument> _documents = [];
    private ParsedConfig _parsed = null!;
    private IHttpRouter _router = null!;
    private HttpRequestHead _firstRoute = null!;
    private HttpRequestHead _latePrefixRoute = null!;
    private HttpRequestHead _headerRoute = null!;
    private HttpRequestHead _regexRoute = null!;
    private HttpRequestHead _unknownHost = null!;
    private HttpRequestHead _wildcardHost = null!;

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
        _documents = YamlDocumentReader.Read(_sources[0], new IstioDiagnostics());
        _parsed = IstioObjectParser.Parse(_documents, new IstioDiagnostics());

        // A browser-like head: the header routes' lookups scan every field.
        _firstRoute = Request("GET", "/p0/items", "svc500.example.com");
        _latePrefixRoute = Request("GET", "/p19/items?page=2", "svc500.example.com:8080");
        _headerRoute = Request("GET", "/checkout", "svc500.example.com", ("x-tenant", "t15"));
        _regexRoute = Request("GET", "/r17/12345/details", "svc500.example.com");
        _unknownHost = Request("GET", "/p0/items", "unknown.other.org");
        _wildcardHost = Request("GET", "/p0/items", "api.eu.zone57.example.org");
        Expect(_firstRoute, "svc500-r0");
        Expect(_latePrefixRoute, "svc500-r19");
        Expect(_headerRoute, "svc500-r15");
        Expect(_regexRoute, "svc500-r17");
        Expect(_unknownHost, null);
        Expect(_wildcardHost, "zone57-r0");
    }

    [Benchmark(Baseline = true)]
    public HttpRoute? Route_FirstRoute() => _router.Route(_firstRoute);

    /// <summary>19 failed matches first: 11 prefix, 3 header lookups, 3 regexes, 2 exact.</summary>
    [Benchmark]
    public HttpRoute? Route_LatePrefixRoute() => _router.Route(_latePrefixRoute);

    /// <summary>Route 15: 15 failed matches (2 header lookups, 2 regexes) before the header hit.</summary>
    [Benchmark]
    public HttpRoute? Route_HeaderRoute() => _router.Route(_headerRoute);

    /// <summary>Route 17: 17 failed matches (3 regexes run first) before the regex hit.</summary>
    [Benchmark]
    public HttpRoute? Route_RegexRoute() => _router.Route(_regexRoute);

    [Benchmark]
    public HttpRoute? Route_UnknownHost() => _router.Route(_unknownHost);

    /// <summary><c>api.eu.zone57.example.org</c> against <c>*.zone57.example.org</c>: two suffix lookups.</summary>
    [Benchmark]
    public HttpRoute? Route_WildcardHost() => _router.Route(_wildcardHost);

    /// <summary>Regex patterns repeat across hosts (3 distinct), so each is compiled once (and kept by the process-wide
    /// regex cache across builds).</summary>
    [Benchmark]
    public IstioBuildResult Build_1000x20() => IstioConfigBuilder.Build(_sources, new IstioBuildOptions());

    [IterationSetup(Target = nameof(Build_1000x20_DistinctRegexes))]
    public void EmptyRegexCache() => RegexCache.Clear();

    /// <summary>Worst case, first build: every one of the 3,000 regex routes has its own pattern, none compiled yet.</summary>
    [Benchmark]
    public IstioBuildResult Build_1000x20_DistinctRegexes() => IstioConfigBuilder.Build(_distinctRegexSources, new IstioBuildOptions());

    /// <summary>The same config built again (a reload): its regexes come from the process-wide cache.</summary>
    [Benchmark]
    public IstioBuildResult Build_1000x20_DistinctRegexes_Reload() => IstioConfigBuilder.Build(_distinctRegexSources, new IstioBuildOptions());

    /// <summary>Build, step 1 of 3: YAML text to YamlDotNet nodes, one document at a time.</summary>
    [Benchmark]
    public object Build_1000x20_YamlOnly() => YamlDocumentReader.Read(_sources[0], new IstioDiagnostics());

    /// <summary>Build, step 2 of 3: nodes to validated config records (regexes are compiled here).</summary>
    [Benchmark]
    public object Build_1000x20_ParseOnly() => IstioObjectParser.Parse(_documents, new IstioDiagnostics());

    /// <summary>Build, step 3 of 3: config records to listeners, route tables and clusters.</summary>
    [Benchmark]
    public object Build_1000x20_CompileOnly() => new IstioCompiler(_parsed, new IstioBuildOptions(), new IstioDiagnostics()).Compile();

    private void Expect(HttpRequestHead request, string? route)
    {
        if (_router.Route(request)?.Name != route)
        {
            throw new InvalidOperationException($"benchmark request {Encoding.ASCII.GetString(request.Target)} does not route to {route ?? "nothing"}");
        }
    }

    private static HttpRequestHead Request(string method, string target, string host, params (string Name, string Value)[] extra)
    {
        KeyValuePair<string, string>[] headers =
        [
            new("Host", host),
            new("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
            new("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            new("Accept-Encoding", "gzip, deflate, br"),
            new("X-Request-Id", "6f1c2f4e-8d1a-4c53-9a47-0d8a4b1e2f3c"),
            .. extra.Select(static h => new KeyValuePair<string, string>(h.Name, h.Value)),
        ];
        return HttpRequestHead.Create(method, target, headers);
    }

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
            var wildcard = h >= Hosts - WildcardHosts;
            var name = wildcard ? $"zone{h - (Hosts - WildcardHosts)}" : $"svc{h}";
            var host = wildcard ? $"\"*.{name}.example.org\"" : $"{name}.example.com";
            yaml.Append($"---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: {name}}}\nspec:\n  hosts: [{host}]\n  gateways: [gw]\n  http:\n");
            for (var r = 0; r < RoutesPerHost; r++)
            {
                var match = Kinds[r] switch
                {
                    'P' => $"{{uri: {{prefix: /p{r}/}}}}",
                    'H' => $"{{headers: {{x-tenant: {{exact: t{r}}}}}}}",
                    'E' => $"{{uri: {{exact: /e{r}/health}}}}",
                    _ => distinctRegexes ? $"{{uri: {{regex: \"/h{h}/r{r}/[0-9]+(/.*)?\"}}}}" : $"{{uri: {{regex: \"/r{r}/[0-9]+(/.*)?\"}}}}",
                };
                yaml.Append($"  - name: {name}-r{r}\n    match: [{match}]\n    route:\n    - destination: {{host: backend.bench.local, subset: v1}}\n      weight: 90\n    - destination: {{host: backend.bench.local, subset: v2}}\n      weight: 10\n");
            }
        }

        return yaml.ToString();
    }
}
