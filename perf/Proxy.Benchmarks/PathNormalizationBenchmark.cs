using System.Text;
using BenchmarkDotNet.Attributes;
using Proxy.Engine.Http;
using Proxy.Protocols.Http1;

namespace Proxy.Benchmarks;

/// <summary>
/// What Envoy-style path normalisation adds to each request: the head refilled and completed for an already-normal
/// path (the common case: one vectorised scan), a path with dot segments and an escaped unreserved character
/// (normalised into the head's own buffer), and a long normal path with dots in file names. All must show 0 B.
/// ShortRun on the 2-core dev VM: 46 ns, 102 ns, 77 ns, 0 B each (the whole Reset/fill/Complete, not only the path).
/// </summary>
[MemoryDiagnoser]
public class PathNormalizationBenchmark
{
    private readonly HttpRequestHead _head = HttpRequestHead.Create("GET", "/");
    private readonly byte[] _normal = Encoding.ASCII.GetBytes("/products/list?category=shoes&page=2");
    private readonly byte[] _dotSegments = Encoding.ASCII.GetBytes("/products/./list/../../api/%7Euser/items?category=shoes&page=2");
    private readonly byte[] _longNormal = Encoding.ASCII.GetBytes("/static/v1.2.3/assets/vendor/app.bundle.min.js?v=8f3a2c");

    [Benchmark(Baseline = true)]
    public int Complete_NormalPath() => Fill(_normal);

    [Benchmark]
    public int Complete_DotSegments() => Fill(_dotSegments);

    [Benchmark]
    public int Complete_LongNormalPathWithDots() => Fill(_longNormal);

    private int Fill(byte[] target)
    {
        var head = _head;
        head.Reset();
        head.SetRequestLine(Http1Method.Get, "GET"u8, target, Http1Version.Http11);
        head.AddHeader(KnownHeader.Host, "Host"u8, "shop.example.com"u8);
        head.Complete();
        return head.Path.Length;
    }
}
