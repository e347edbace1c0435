using System.Buffers;
using System.Text;
using Proxy.Protocols.Http1;
using Proxy.Protocols.Tests.TestInfrastructure;
using static Proxy.Protocols.Tests.Http1.HttpParsingData;

namespace Proxy.Protocols.Tests.Http1;

public class Http1ParserTests
{
    [Theory]
    [MemberData(nameof(ValidRequestRuns), MemberType = typeof(HttpParsingData))]
    public void TryParseRequestHead_ValidRequest_ParsesWholeHeadAnySplit(string name, SplitMode mode)
    {
        HeadCase c = Find(ValidRequests, name);
        HeadParseResult expected = HeadParse.Request(new ReadOnlySequence<byte>(c.Bytes), c.Limits);
        Assert.True(expected.Parsed);
        Assert.Equal(c.Expected, Describe(expected.Info, isResponse: false));
        Assert.Equal(c.Bytes.Length, expected.Info.HeadLength);
        Assert.Equal(expected.Info.HeaderCount + 1, expected.Events.Count);

        foreach (ReadOnlySequence<byte> buffer in HeadParse.Sequences(c.Bytes, mode))
        {
            HeadParseResult actual = HeadParse.Request(buffer, c.Limits);
            Assert.True(actual.Parsed);
            Assert.Equal(c.Bytes.Length, actual.Consumed);
            Assert.Equal(expected.Info, actual.Info);
            Assert.Equal(expected.Events, actual.Events);
        }
    }

    [Theory]
    [MemberData(nameof(InvalidRequestRuns), MemberType = typeof(HttpParsingData))]
    public void TryParseRequestHead_InvalidRequest_RejectsWithStatusAnySplit(string name, SplitMode mode)
    {
        HeadCase c = Find(InvalidRequests, name);
        foreach (ReadOnlySequence<byte> buffer in HeadParse.Sequences(c.Bytes, mode))
        {
            var exception = Assert.Throws<Http1ParseException>(() => HeadParse.Request(buffer, c.Limits));
            Assert.Equal(c.Error, exception.Error);
            Assert.Equal(c.Status, exception.StatusCode);
        }
    }

    [Theory]
    [MemberData(nameof(ValidResponseRuns), MemberType = typeof(HttpParsingData))]
    public void TryParseResponseHead_ValidResponse_ParsesWholeHeadAnySplit(string name, SplitMode mode)
    {
        HeadCase c = Find(ValidResponses, name);
        HeadParseResult expected = HeadParse.Response(new ReadOnlySequence<byte>(c.Bytes), c.Limits);
        Assert.True(expected.Parsed);
        Assert.Equal(c.Expected, Describe(expected.Info, isResponse: true));
        Assert.Equal(c.Bytes.Length, expected.Info.HeadLength);

        foreach (ReadOnlySequence<byte> buffer in HeadParse.Sequences(c.Bytes, mode))
        {
            HeadParseResult actual = HeadParse.Response(buffer, c.Limits);
            Assert.True(actual.Parsed);
            Assert.Equal(c.Bytes.Length, actual.Consumed);
            Assert.Equal(expected.Info, actual.Info);
            Assert.Equal(expected.Events, actual.Events);
        }
    }

    [Theory]
    [MemberData(nameof(InvalidResponseRuns), MemberType = typeof(HttpParsingData))]
    public void TryParseResponseHead_InvalidResponse_RejectsAnySplit(string name, SplitMode mode)
    {
        HeadCase c = Find(InvalidResponses, name);
        foreach (ReadOnlySequence<byte> buffer in HeadParse.Sequences(c.Bytes, mode))
        {
            var exception = Assert.Throws<Http1ParseException>(() => HeadParse.Response(buffer, c.Limits));
            Assert.Equal(c.Error, exception.Error);
            Assert.Equal(c.Status, exception.StatusCode);
        }
    }

    [Theory]
    [MemberData(nameof(SmallValidRequestNames), MemberType = typeof(HttpParsingData))]
    public void TryParseRequestHead_EveryStrictPrefix_ReturnsFalseConsumesNothingCallsNothing(string name)
    {
        HeadCase c = Find(ValidRequests, name);
        for (int length = 0; length < c.Bytes.Length; length++)
        {
            HeadParseResult result = HeadParse.Request(SegmentedSequence.Create(c.Bytes.AsSpan(0, length), SplitMode.OneSegment), c.Limits);
            Assert.False(result.Parsed);
            Assert.Equal(0, result.Consumed);
            Assert.Empty(result.Events);
            Assert.Equal(default, result.Info);
        }
    }

    [Theory]
    [MemberData(nameof(SmallInvalidRequestNames), MemberType = typeof(HttpParsingData))]
    public void TryParseRequestHead_InvalidRequestArrivingByteByByte_WaitsOrRejectsWithSameError(string name)
    {
        // However much has arrived, the parser either waits (consuming nothing) or rejects with the case's error:
        // a limit fires as soon as it is reached, never as a different error later or earlier.
        HeadCase c = Find(InvalidRequests, name);
        for (int length = 0; length <= c.Bytes.Length; length++)
        {
            ReadOnlySequence<byte> buffer = SegmentedSequence.Create(c.Bytes.AsSpan(0, length), SplitMode.OneBytePerSegment);
            try
            {
                HeadParseResult result = HeadParse.Request(buffer, c.Limits);
                Assert.False(result.Parsed);
                Assert.Equal(0, result.Consumed);
                Assert.True(length < c.Bytes.Length, "The whole input must be rejected.");
            }
            catch (Http1ParseException exception)
            {
                Assert.Equal(c.Error, exception.Error);
                return;
            }
        }
    }

    [Fact]
    public void TryParseRequestHead_RequestLineReachesLimitWithoutLineEnd_Throws414AtExactlyTheLimit()
    {
        byte[] data = Encoding.ASCII.GetBytes("GET /" + new string('a', 9000));
        int limit = Http1ParserLimits.Default.MaxRequestLineLength;

        Assert.False(HeadParse.Request(new ReadOnlySequence<byte>(data, 0, limit - 1)).Parsed);
        var exception = Assert.Throws<Http1ParseException>(() => HeadParse.Request(new ReadOnlySequence<byte>(data, 0, limit)));
        Assert.Equal(414, exception.StatusCode);
        Assert.Equal(Http1ParseError.RequestLineTooLong, exception.Error);
    }

    [Fact]
    public void TryParseRequestHead_HeaderBlockReachesLimitWithoutEnd_Throws431AtExactlyTheLimit()
    {
        const string RequestLine = "GET / HTTP/1.1\r\n";
        byte[] data = Encoding.ASCII.GetBytes(RequestLine + "Host: a\r\nX: " + new string('v', 70 * 1024));
        int limit = RequestLine.Length + Http1ParserLimits.Default.MaxHeaderBlockLength;

        Assert.False(HeadParse.Request(new ReadOnlySequence<byte>(data, 0, limit - 1)).Parsed);
        var exception = Assert.Throws<Http1ParseException>(() => HeadParse.Request(new ReadOnlySequence<byte>(data, 0, limit)));
        Assert.Equal(431, exception.StatusCode);
        Assert.Equal(Http1ParseError.HeadersTooLarge, exception.Error);
    }

    [Theory]
    [InlineData(SplitMode.OneSegment)]
    [InlineData(SplitMode.OneBytePerSegment)]
    [InlineData(SplitMode.RandomSplits)]
    public void TryParseRequestHead_PipelinedRequests_ParseOneAfterTheOther(SplitMode mode)
    {
        string first = Head("POST /one HTTP/1.1", "Host: a", "Content-Length: 3") + "abc";
        string second = Head("GET /two HTTP/1.1", "Host: b");
        byte[] data = Encoding.ASCII.GetBytes(first + second + "GET /thr");
        var parser = new Http1Parser();

        foreach (ReadOnlySequence<byte> buffer in HeadParse.Sequences(data, mode))
        {
            var reader = new SequenceReader<byte>(buffer);
            var handler = new RecordingHeadHandler();

            Assert.True(parser.TryParseRequestHead(ref reader, ref handler, out HttpHeadInfo info));
            Assert.Equal(first.Length - 3, reader.Consumed);
            Assert.Equal(3, info.ContentLength);
            reader.Advance(info.ContentLength);

            Assert.True(parser.TryParseRequestHead(ref reader, ref handler, out info));
            Assert.Equal(first.Length + second.Length, reader.Consumed);
            Assert.Equal(second.Length, info.HeadLength);

            long before = reader.Consumed;
            Assert.False(parser.TryParseRequestHead(ref reader, ref handler, out _));
            Assert.Equal(before, reader.Consumed);
            Assert.Equal(
                ["request Post [POST] [/one] Http11", "header Host [Host] [a]", "header ContentLength [Content-Length] [3]",
                 "request Get [GET] [/two] Http11", "header Host [Host] [b]"],
                handler.Events);
        }
    }

    [Fact]
    public void TryParseRequestHead_FieldValues_TrimmedOfOwsAndHandedOverAsSent()
    {
        string raw = Head("M-SEARCH http://Example.com:80/p?q HTTP/1.0", "x-custom:\t  a \t b  \t", "HOST: Example.com:80", "X-Empty:", "X-Latin: caf\u00e9");
        HeadParseResult result = HeadParse.Request(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(raw)));

        Assert.Equal(
            ["request Custom [M-SEARCH] [http://Example.com:80/p?q] Http10",
             "header None [x-custom] [a \t b]",
             "header Host [HOST] [Example.com:80]",
             "header None [X-Empty] []",
             "header None [X-Latin] [caf\u00e9]"],
            result.Events);
    }

    [Fact]
    public void TryParseResponseHead_StatusLine_ReasonHandedOverAsSent()
    {
        HeadParseResult result = HeadParse.Response(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(Head("HTTP/1.1 503 Service  Unavailable", "Retry-After: 5"))));

        Assert.Equal(["status Http11 503 [Service  Unavailable]", "header None [Retry-After] [5]"], result.Events);
        Assert.Equal(503, result.Info.StatusCode);
    }

    [Fact]
    public void TryParseRequestHead_ReaderAlreadyAdvanced_ParsesFromReaderPosition()
    {
        byte[] data = Encoding.ASCII.GetBytes("xxxx" + Head("GET / HTTP/1.1", "Host: a"));
        var reader = new SequenceReader<byte>(SegmentedSequence.Create(data, 2, 6));
        reader.Advance(4);
        var handler = new RecordingHeadHandler();

        Assert.True(new Http1Parser().TryParseRequestHead(ref reader, ref handler, out HttpHeadInfo info));
        Assert.True(reader.End);
        Assert.Equal(data.Length - 4, info.HeadLength);
    }

    [Fact]
    public void TryParseRequestHead_LongLineAcrossSegments_UsesPooledScratch()
    {
        // A 2 KiB cookie split across segments is longer than the stack scratch.
        string cookie = new('c', 2048);
        byte[] data = Encoding.ASCII.GetBytes(Head("GET / HTTP/1.1", "Host: a", "Cookie: " + cookie, "X-After: 1"));

        HeadParseResult result = HeadParse.Request(SegmentedSequence.Create(data, 40, 1000, 2000));

        Assert.True(result.Parsed);
        Assert.Equal($"header None [Cookie] [{cookie}]", result.Events[2]);
        Assert.Equal("header None [X-After] [1]", result.Events[3]);
    }

    [Fact]
    public void Http1ParseException_StatusCodes_FollowTheErrorKind()
    {
        var exception = Assert.Throws<Http1ParseException>(() => HeadParse.Request(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(Head("GET / HTTP/3.0", "Host: a")))));
        Assert.Equal(505, exception.StatusCode);
        Assert.False(string.IsNullOrEmpty(exception.Message));
    }

    [Fact]
    public void TryParseRequestHead_BrowserRequest_AllocatesNothing()
    {
        byte[] data = Encoding.ASCII.GetBytes(BrowserRequest);
        var oneSegment = new ReadOnlySequence<byte>(data);
        ReadOnlySequence<byte> twoSegments = SegmentedSequence.Create(data, data.Length / 2);
        var parser = new Http1Parser();

        ParseMany(parser, oneSegment, 100);
        ParseMany(parser, twoSegments, 100);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int headers = ParseMany(parser, oneSegment, 1000) + ParseMany(parser, twoSegments, 1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(20_000, headers);
    }

    private static int ParseMany(Http1Parser parser, ReadOnlySequence<byte> buffer, int count)
    {
        var handler = new NullHeadHandler();
        for (int i = 0; i < count; i++)
        {
            var reader = new SequenceReader<byte>(buffer);
            if (!parser.TryParseRequestHead(ref reader, ref handler, out _))
            {
                throw new InvalidOperationException("Incomplete.");
            }
        }

        return handler.Headers;
    }
}
