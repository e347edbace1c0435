using System.Buffers;
using Proxy.Protocols.Http1;
using Proxy.Protocols.Tests.TestInfrastructure;

namespace Proxy.Protocols.Tests.Http1;

/// <summary>The outcome of one parse call: what it returned, what it consumed, what the handler saw.</summary>
public sealed record HeadParseResult(bool Parsed, long Consumed, HttpHeadInfo Info, IReadOnlyList<string> Events);

/// <summary>Runs the parser over a sequence the way a connection would.</summary>
public static class HeadParse
{
    public static HeadParseResult Request(ReadOnlySequence<byte> buffer, Http1ParserLimits? limits = null)
    {
        var parser = new Http1Parser(limits);
        var reader = new SequenceReader<byte>(buffer);
        var handler = new RecordingHeadHandler();
        bool parsed = parser.TryParseRequestHead(ref reader, ref handler, out HttpHeadInfo info);
        return new HeadParseResult(parsed, reader.Consumed, info, handler.Events);
    }

    public static HeadParseResult Response(ReadOnlySequence<byte> buffer, Http1ParserLimits? limits = null)
    {
        var parser = new Http1Parser(limits);
        var reader = new SequenceReader<byte>(buffer);
        var handler = new RecordingHeadHandler();
        bool parsed = parser.TryParseResponseHead(ref reader, ref handler, out HttpHeadInfo info);
        return new HeadParseResult(parsed, reader.Consumed, info, handler.Events);
    }

    /// <summary>The sequences a theory runs a case over for <paramref name="mode"/>: one, or several random patterns.</summary>
    public static IEnumerable<ReadOnlySequence<byte>> Sequences(byte[] data, SplitMode mode) => SegmentedSequence.Sequences(data, mode);
}
