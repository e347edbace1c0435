using System.Buffers;
using System.Text;
using Proxy.Protocols.Tests.TestInfrastructure;
using static Proxy.Protocols.Tests.Http1.HttpParsingData;

namespace Proxy.Protocols.Tests.Http1;

/// <summary>
/// Property: where the segment boundaries fall never changes what the parser reports. Checked at every byte boundary
/// and for many random three-way splits (seeded, so a failure reproduces).
/// </summary>
public class Http1ParserSplitPropertyTests
{
    private const int RandomThreeWaySplits = 300;

    public static TheoryData<string> Requests =>
    [
        BrowserRequest,
        Head("GET / HTTP/1.1", "Host: a"),
        Head("POST http://example.com:8080/upload?x=1 HTTP/1.1", "Host: example.com:8080", "Content-Length: 1024", "Expect: 100-continue", "Connection: close, X-Foo"),
        Head("PUT /x HTTP/1.1", "Host: [::1]:80", "Transfer-Encoding: , chunked", "X-Pad:  \t v \t ", "X-Latin: caf\u00e9"),
        Head("CONNECT example.com:443 HTTP/1.1", "Host: example.com:443", "Proxy-Connection: keep-alive"),
    ];

    [Theory]
    [MemberData(nameof(Requests))]
    public void TryParseRequestHead_SplitAtEveryBoundary_SameCallbacksAndInfo(string raw)
    {
        byte[] data = Encoding.Latin1.GetBytes(raw);
        HeadParseResult expected = HeadParse.Request(new ReadOnlySequence<byte>(data));
        Assert.True(expected.Parsed);

        for (int cut = 0; cut <= data.Length; cut++)
        {
            AssertSame(expected, HeadParse.Request(SegmentedSequence.Create(data, cut)), data.Length);
        }
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public void TryParseRequestHead_SplitIntoThreeAtRandom_SameCallbacksAndInfo(string raw)
    {
        byte[] data = Encoding.Latin1.GetBytes(raw);
        HeadParseResult expected = HeadParse.Request(new ReadOnlySequence<byte>(data));
        var random = new Random(20240601);

        for (int i = 0; i < RandomThreeWaySplits; i++)
        {
            int first = random.Next(data.Length + 1);
            int second = random.Next(first, data.Length + 1);
            AssertSame(expected, HeadParse.Request(SegmentedSequence.Create(data, first, second)), data.Length);
        }
    }

    private static void AssertSame(HeadParseResult expected, HeadParseResult actual, int length)
    {
        Assert.True(actual.Parsed);
        Assert.Equal(length, actual.Consumed);
        Assert.Equal(expected.Info, actual.Info);
        Assert.Equal(expected.Events, actual.Events);
    }
}
