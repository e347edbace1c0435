using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Proxy.Protocols.Http1;

namespace Proxy.Benchmarks;

/// <summary>
/// The HTTP/1.1 head parser and chunked decoder on realistic input: a Chrome-like navigation request (523 bytes,
/// 10 fields) in one segment (the common case: one socket read) and split mid-field across two segments (a read
/// boundary inside the head, which forces one line copy), and a 16 KiB chunked body in 4 KiB chunks.
/// </summary>
[MemoryDiagnoser]
public class Http1ParserBenchmark
{
    private const string BrowserRequest =
        "GET /products/list?category=shoes&page=2 HTTP/1.1\r\n" +
        "Host: shop.example.com\r\n" +
        "Connection: keep-alive\r\n" +
        "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n" +
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
        "Sec-Fetch-Site: same-origin\r\n" +
        "Sec-Fetch-Mode: navigate\r\n" +
        "Referer: https://shop.example.com/\r\n" +
        "Accept-Encoding: gzip, deflate, br, zstd\r\n" +
        "Accept-Language: en-US,en;q=0.9\r\n" +
        "Cookie: session=3f2a9c; theme=dark\r\n" +
        "\r\n";

    private const int BodyLength = 16 * 1024;
    private const int ChunkLength = 4 * 1024;

    private readonly Http1Parser _parser = new();
    private ReadOnlySequence<byte> _oneSegment;
    private ReadOnlySequence<byte> _twoSegments;
    private ReadOnlySequence<byte> _chunkedBody;

    [GlobalSetup]
    public void Setup()
    {
        byte[] head = Encoding.ASCII.GetBytes(BrowserRequest);
        _oneSegment = new ReadOnlySequence<byte>(head);
        _twoSegments = Split(head, head.Length / 2);

        var writer = new ArrayBufferWriter<byte>();
        var chunk = new byte[ChunkLength];
        new Random(42).NextBytes(chunk);
        for (int written = 0; written < BodyLength; written += ChunkLength)
        {
            ChunkedEncoder.WriteChunkPrefix(writer, ChunkLength);
            writer.Write(chunk);
            ChunkedEncoder.WriteChunkSuffix(writer);
        }

        ChunkedEncoder.WriteLastChunk(writer);
        _chunkedBody = new ReadOnlySequence<byte>(writer.WrittenMemory);
    }

    [Benchmark(Baseline = true)]
    public int ParseRequestHead_OneSegment() => Parse(_oneSegment);

    [Benchmark]
    public int ParseRequestHead_SplitInTwo() => Parse(_twoSegments);

    [Benchmark]
    public long DecodeChunked_16KiB()
    {
        var decoder = new ChunkedDecoder(Http1ParserLimits.Default);
        var reader = new SequenceReader<byte>(_chunkedBody);
        long total = 0;
        while (decoder.Decode(ref reader, out ReadOnlySequence<byte> data) == ChunkedDecodeStatus.Data)
        {
            total += data.Length;
        }

        return total;
    }

    private int Parse(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        var handler = new CountingHandler();
        return _parser.TryParseRequestHead(ref reader, ref handler, out HttpHeadInfo info)
            ? handler.Count + info.HeadLength
            : throw new InvalidOperationException("The benchmark head is incomplete.");
    }

    private static ReadOnlySequence<byte> Split(byte[] data, int at)
    {
        var first = new Segment(data.AsMemory(0, at), 0);
        var second = new Segment(data.AsMemory(at).ToArray(), at);
        first.SetNext(second);
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private struct CountingHandler : IHttpRequestHeadHandler
    {
        public int Count { get; private set; }

        public void OnRequestLine(Http1Method method, ReadOnlySpan<byte> methodToken, ReadOnlySpan<byte> target, Http1Version version)
            => Count += target.Length;

        public void OnHeader(KnownHeader header, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Count += value.Length;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
