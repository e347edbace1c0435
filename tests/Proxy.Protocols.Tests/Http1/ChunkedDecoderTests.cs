using System.Buffers;
using System.Text;
using Proxy.Protocols.Http1;
using Proxy.Protocols.Tests.TestInfrastructure;

namespace Proxy.Protocols.Tests.Http1;

public class ChunkedDecoderTests
{
    public static TheoryData<string, string, SplitMode> ValidBodies => Runs(new Dictionary<string, string>
    {
        ["0\r\n\r\n"] = "",
        ["5\r\nhello\r\n0\r\n\r\n"] = "hello",
        ["5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"] = "hello world",
        ["A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n"] = "0123456789abcdefghij",
        ["1F\r\n" + new string('x', 31) + "\r\n0\r\n\r\n"] = new string('x', 31),
        ["0005\r\nhello\r\n0000\r\n\r\n"] = "hello",
        ["5;ext\r\nhello\r\n0\r\n\r\n"] = "hello",
        ["5;name=value\r\nhello\r\n0\r\n\r\n"] = "hello",
        ["5 ; name = value ; other\r\nhello\r\n0\r\n\r\n"] = "hello",
        ["5\t;\tn=\"q; \\\"x\\\" \t\u00e9\"\r\nhello\r\n0\r\n\r\n"] = "hello",
        ["5;a=\"\";b=t\r\nhello\r\n0;last=1\r\n\r\n"] = "hello",
        ["5;a=\"x\" ;b\r\nhello\r\n0\r\n\r\n"] = "hello",
        ["5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Empty:\r\nX-Ows:  v \t\r\n\r\n"] = "hello",
        ["3\r\n\r\n\r\r\n0\r\n\r\n"] = "\r\n\r",
    });

    public static TheoryData<string, Http1ParseError, SplitMode> InvalidBodies => Runs(new Dictionary<string, Http1ParseError>
    {
        ["G\r\n"] = Http1ParseError.InvalidChunkSize,
        ["\r\n"] = Http1ParseError.InvalidChunkSize,
        ["-5\r\n"] = Http1ParseError.InvalidChunkSize,
        ["0x5\r\n"] = Http1ParseError.InvalidChunkSize,
        [" 5\r\n"] = Http1ParseError.InvalidChunkSize,
        [";a\r\n"] = Http1ParseError.InvalidChunkSize,
        ["5\rX"] = Http1ParseError.InvalidChunkSize,
        ["5\n"] = Http1ParseError.InvalidChunkSize,
        ["00000000000000005\r\n"] = Http1ParseError.ChunkSizeOverflow,
        ["8000000000000000\r\n"] = Http1ParseError.ChunkSizeOverflow,
        ["FFFFFFFFFFFFFFFFF\r\n"] = Http1ParseError.ChunkSizeOverflow,
        ["5 \r\n"] = Http1ParseError.InvalidChunkExtension,
        ["5;\r\n"] = Http1ParseError.InvalidChunkExtension,
        ["5;=v\r\n"] = Http1ParseError.InvalidChunkExtension,
        ["5;a=\r\n"] = Http1ParseError.InvalidChunkExtension,
        ["5;a b\r\n"] = Http1ParseError.InvalidChunkExtension,
        ["5;a=b c\r\n"] = Http1ParseError.InvalidChunkExtension,
        ["5;a=\"unterminated\r\n"] = Http1ParseError.InvalidChunkExtension,
        ["5;a=\"x\"y\r\n"] = Http1ParseError.InvalidChunkExtension,
        ["5;a=\"\0\"\r\n"] = Http1ParseError.InvalidChunkExtension,
        ["5;a(\r\n"] = Http1ParseError.InvalidChunkExtension,
        ["5;" + new string('a', 5000) + "\r\n"] = Http1ParseError.InvalidChunkExtension,
        ["5\r\nhelloX"] = Http1ParseError.InvalidChunkTerminator,
        ["5\r\nhello\rX"] = Http1ParseError.InvalidChunkTerminator,
        ["5\r\nhello\n"] = Http1ParseError.InvalidChunkTerminator,
        ["5\r\nhello world\r\n"] = Http1ParseError.InvalidChunkTerminator,
        ["0\r\n X: v\r\n\r\n"] = Http1ParseError.InvalidTrailer,
        ["0\r\nX : v\r\n\r\n"] = Http1ParseError.InvalidTrailer,
        ["0\r\n: v\r\n\r\n"] = Http1ParseError.InvalidTrailer,
        ["0\r\nX v\r\n\r\n"] = Http1ParseError.InvalidTrailer,
        ["0\r\nX: a\u0001\r\n\r\n"] = Http1ParseError.InvalidTrailer,
        ["0\r\nX: a\rb\r\n\r\n"] = Http1ParseError.InvalidTrailer,
        ["0\r\nX: a\n\r\n"] = Http1ParseError.InvalidTrailer,
        ["0\r\n\rX"] = Http1ParseError.InvalidTrailer,
        ["0\r\n\n"] = Http1ParseError.InvalidTrailer,
        ["0\r\nX: " + new string('v', 61 * 1024) + "\r\n\r\n"] = Http1ParseError.TrailersTooLarge,
    });

    [Theory]
    [MemberData(nameof(ValidBodies))]
    public void Decode_ValidBody_YieldsDataAndCompletesAnySplit(string body, string expected, SplitMode mode)
    {
        byte[] data = Encoding.Latin1.GetBytes(body + "NEXT");
        foreach (IReadOnlyList<byte[]> pieces in Pieces(data, mode))
        {
            (byte[] decoded, long rest) = DecodeAll(new ChunkedDecoder(Http1ParserLimits.Default), pieces);
            Assert.Equal(expected, Encoding.Latin1.GetString(decoded));
            Assert.Equal(4, rest);
        }
    }

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public void Decode_InvalidFraming_Rejects400AnySplit(string body, Http1ParseError error, SplitMode mode)
    {
        byte[] data = Encoding.Latin1.GetBytes(body);
        foreach (IReadOnlyList<byte[]> pieces in Pieces(data, mode))
        {
            var exception = Assert.Throws<Http1ParseException>(() => DecodeAll(new ChunkedDecoder(Http1ParserLimits.Default), pieces));
            Assert.Equal(error, exception.Error);
            Assert.Equal(400, exception.StatusCode);
        }
    }

    [Theory]
    [InlineData("5;abcdefghijkl\r\n", false)]
    [InlineData("5;abcdefghijklm\r\n", true)]
    [InlineData("0\r\nX: 1234567890123456789012345\r\n\r\n", false)]
    [InlineData("0\r\nX: 12345678901234567890123456\r\n\r\n", true)]
    public void Decode_ConfiguredLimits_EnforcedAtTheEdge(string framing, bool rejected)
    {
        // SmallLimits: chunk lines up to 16 bytes with CRLF, trailer sections up to 32 bytes with the final CRLF.
        byte[] data = Encoding.ASCII.GetBytes(framing);
        if (rejected)
        {
            var exception = Assert.Throws<Http1ParseException>(() => DecodeOnce(data, out _));
            Assert.Equal(framing.StartsWith('0') ? Http1ParseError.TrailersTooLarge : Http1ParseError.InvalidChunkExtension, exception.Error);
        }
        else
        {
            Assert.Equal(framing.StartsWith('0') ? ChunkedDecodeStatus.Completed : ChunkedDecodeStatus.NeedMoreData, DecodeOnce(data, out bool atEnd));
            Assert.True(atEnd);
        }

        static ChunkedDecodeStatus DecodeOnce(byte[] data, out bool atEnd)
        {
            var decoder = new ChunkedDecoder(HttpParsingData.SmallLimits);
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(data));
            ChunkedDecodeStatus status = decoder.Decode(ref reader, out _);
            atEnd = reader.End;
            return status;
        }
    }

    [Fact]
    public void Decode_ByteByByte_KeepsStateAndConsumesEveryByte()
    {
        byte[] data = Encoding.ASCII.GetBytes("3;x=\"y\"\r\nabc\r\n0\r\nT: v\r\n\r\n");
        var decoder = new ChunkedDecoder(Http1ParserLimits.Default);
        var decoded = new List<byte>();
        for (int i = 0; i < data.Length; i++)
        {
            Assert.False(decoder.IsCompleted);
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(data, i, 1));
            ChunkedDecodeStatus status = decoder.Decode(ref reader, out ReadOnlySequence<byte> slice);
            Assert.True(reader.End);
            decoded.AddRange(slice.ToArray());
            Assert.Equal(
                i == data.Length - 1 ? ChunkedDecodeStatus.Completed : slice.IsEmpty ? ChunkedDecodeStatus.NeedMoreData : ChunkedDecodeStatus.Data,
                status);
        }

        Assert.True(decoder.IsCompleted);
        Assert.Equal("abc", Encoding.ASCII.GetString([.. decoded]));
    }

    [Fact]
    public void Decode_TwoChunksInOneSegment_ReturnsOneSlicePerChunk()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("3\r\nabc\r\n2\r\nde\r\n")));
        var decoder = new ChunkedDecoder(Http1ParserLimits.Default);

        Assert.Equal(ChunkedDecodeStatus.Data, decoder.Decode(ref reader, out ReadOnlySequence<byte> first));
        Assert.Equal(ChunkedDecodeStatus.Data, decoder.Decode(ref reader, out ReadOnlySequence<byte> second));
        Assert.Equal(ChunkedDecodeStatus.NeedMoreData, decoder.Decode(ref reader, out ReadOnlySequence<byte> none));

        Assert.Equal("abc", Encoding.ASCII.GetString(first.ToArray()));
        Assert.Equal("de", Encoding.ASCII.GetString(second.ToArray()));
        Assert.True(none.IsEmpty);
        Assert.True(reader.End);
    }

    [Fact]
    public void Decode_ChunkLargerThanInput_SlicesUpToInputEnd()
    {
        var decoder = new ChunkedDecoder(Http1ParserLimits.Default);
        var reader = new SequenceReader<byte>(SegmentedSequence.Create(Encoding.ASCII.GetBytes("a\r\n0123456"), 5));

        Assert.Equal(ChunkedDecodeStatus.Data, decoder.Decode(ref reader, out ReadOnlySequence<byte> data));
        Assert.Equal("0123456", Encoding.ASCII.GetString(data.ToArray()));
        Assert.Equal(ChunkedDecodeStatus.NeedMoreData, decoder.Decode(ref reader, out _));
    }

    [Fact]
    public void Decode_AfterCompleted_ReturnsCompletedAndConsumesNothing()
    {
        var decoder = new ChunkedDecoder(Http1ParserLimits.Default);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("0\r\n\r\nGET / HTTP/1.1\r\n")));

        Assert.Equal(ChunkedDecodeStatus.Completed, decoder.Decode(ref reader, out _));
        Assert.Equal(5, reader.Consumed);
        Assert.Equal(ChunkedDecodeStatus.Completed, decoder.Decode(ref reader, out _));
        Assert.Equal(5, reader.Consumed);
        Assert.True(decoder.IsCompleted);
    }

    [Fact]
    public void Decode_MaximumChunkSize_Accepted()
    {
        var decoder = new ChunkedDecoder(Http1ParserLimits.Default);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("7fffffffffffffff\r\nab")));

        Assert.Equal(ChunkedDecodeStatus.Data, decoder.Decode(ref reader, out ReadOnlySequence<byte> data));
        Assert.Equal(2, data.Length);
    }

    [Fact]
    public void Decode_SixteenKiBBody_AllocatesNothing()
    {
        byte[] body = EncodeBody(new Random(7), 16 * 1024, maxChunk: 4096);
        var buffer = new ReadOnlySequence<byte>(body);
        DecodeMany(buffer, 10);

        long before = GC.GetAllocatedBytesForCurrentThread();
        long total = DecodeMany(buffer, 100);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(100L * 16 * 1024, total);
    }

    [Fact]
    public void ChunkedEncoder_RandomBodies_RoundTripThroughDecoder()
    {
        var random = new Random(12345);
        for (int i = 0; i < 200; i++)
        {
            int length = random.Next(0, 5000);
            var source = new byte[length];
            random.NextBytes(source);
            byte[] encoded = EncodeBody(random, source, maxChunk: random.Next(1, 700));

            foreach (IReadOnlyList<byte[]> pieces in Pieces(encoded, SplitMode.RandomSplits).Take(1))
            {
                (byte[] decoded, long rest) = DecodeAll(new ChunkedDecoder(Http1ParserLimits.Default), pieces);
                Assert.Equal(source, decoded);
                Assert.Equal(0, rest);
            }
        }
    }

    [Theory]
    [InlineData(1L, "1\r\n")]
    [InlineData(15L, "f\r\n")]
    [InlineData(16L, "10\r\n")]
    [InlineData(255L, "ff\r\n")]
    [InlineData(4096L, "1000\r\n")]
    [InlineData(long.MaxValue, "7fffffffffffffff\r\n")]
    public void ChunkedEncoder_WriteChunkPrefix_WritesHexSizeAndCrlf(long length, string expected)
    {
        var writer = new ArrayBufferWriter<byte>();
        ChunkedEncoder.WriteChunkPrefix(writer, length);
        Assert.Equal(expected, Encoding.ASCII.GetString(writer.WrittenSpan));
    }

    [Fact]
    public void ChunkedEncoder_SuffixAndLastChunk_WriteExactFraming()
    {
        var writer = new ArrayBufferWriter<byte>();
        ChunkedEncoder.WriteChunkSuffix(writer);
        ChunkedEncoder.WriteLastChunk(writer);
        Assert.Equal("\r\n0\r\n\r\n", Encoding.ASCII.GetString(writer.WrittenSpan));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public void ChunkedEncoder_NonPositiveLength_Throws(long length)
        => Assert.Throws<ArgumentOutOfRangeException>(() => ChunkedEncoder.WriteChunkPrefix(new ArrayBufferWriter<byte>(), length));

    [Fact]
    public void ChunkedEncoder_PreSizedWriter_AllocatesNothing()
    {
        var writer = new ArrayBufferWriter<byte>(64 * 1024);
        ChunkedEncoder.WriteChunkPrefix(writer, 1);
        writer.ResetWrittenCount();

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 1; i < 1000; i++)
        {
            ChunkedEncoder.WriteChunkPrefix(writer, i);
            ChunkedEncoder.WriteChunkSuffix(writer);
        }

        ChunkedEncoder.WriteLastChunk(writer);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    internal static byte[] EncodeBody(Random random, int length, int maxChunk)
    {
        var source = new byte[length];
        random.NextBytes(source);
        return EncodeBody(random, source, maxChunk);
    }

    private static byte[] EncodeBody(Random random, byte[] source, int maxChunk)
    {
        var writer = new ArrayBufferWriter<byte>();
        int offset = 0;
        while (offset < source.Length)
        {
            int size = Math.Min(source.Length - offset, random.Next(1, maxChunk + 1));
            ChunkedEncoder.WriteChunkPrefix(writer, size);
            writer.Write(source.AsSpan(offset, size));
            ChunkedEncoder.WriteChunkSuffix(writer);
            offset += size;
        }

        ChunkedEncoder.WriteLastChunk(writer);
        return writer.WrittenSpan.ToArray();
    }

    private static long DecodeMany(ReadOnlySequence<byte> body, int count)
    {
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            var decoder = new ChunkedDecoder(Http1ParserLimits.Default);
            var reader = new SequenceReader<byte>(body);
            while (decoder.Decode(ref reader, out ReadOnlySequence<byte> data) == ChunkedDecodeStatus.Data)
            {
                total += data.Length;
            }
        }

        return total;
    }

    /// <summary>Feeds pieces as separate arrivals, checking the NeedMoreData contract; returns the data and unread tail length.</summary>
    private static (byte[] Decoded, long Remaining) DecodeAll(ChunkedDecoder decoder, IReadOnlyList<byte[]> pieces)
    {
        var decoded = new List<byte>();
        foreach (byte[] piece in pieces)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(piece));
            while (true)
            {
                ChunkedDecodeStatus status = decoder.Decode(ref reader, out ReadOnlySequence<byte> data);
                if (status == ChunkedDecodeStatus.Completed)
                {
                    Assert.True(decoder.IsCompleted);
                    long rest = reader.Remaining + pieces.SkipWhile(p => p != piece).Skip(1).Sum(p => p.Length);
                    return ([.. decoded], rest);
                }

                if (status == ChunkedDecodeStatus.NeedMoreData)
                {
                    Assert.True(reader.End, "NeedMoreData must mean all input was consumed.");
                    Assert.True(data.IsEmpty);
                    break;
                }

                Assert.False(data.IsEmpty);
                decoded.AddRange(data.ToArray());
            }
        }

        Assert.Fail("The body never completed.");
        return default;
    }

    /// <summary>One, one byte each, or random pieces; random mode yields several seeded patterns.</summary>
    private static IEnumerable<IReadOnlyList<byte[]>> Pieces(byte[] data, SplitMode mode)
    {
        foreach (ReadOnlySequence<byte> sequence in HeadParse.Sequences(data, mode))
        {
            var pieces = new List<byte[]>();
            foreach (ReadOnlyMemory<byte> segment in sequence)
            {
                pieces.Add(segment.ToArray());
            }

            yield return pieces;
        }
    }

    private static TheoryData<string, T, SplitMode> Runs<T>(Dictionary<string, T> cases)
    {
        var data = new TheoryData<string, T, SplitMode>();
        foreach ((string body, T expected) in cases)
        {
            foreach (SplitMode mode in Enum.GetValues<SplitMode>())
            {
                data.Add(body, expected, mode);
            }
        }

        return data;
    }
}
