using System.Buffers;
using System.IO.Pipelines;
using Proxy.Protocols.Http1;

namespace Proxy.Engine.Http.Mirroring;

/// <summary>How the response to a mirrored copy ended.</summary>
internal enum MirrorResponseStatus : byte
{
    /// <summary>A whole response was read (and dropped).</summary>
    Completed,

    /// <summary>The connection ended or broke before any response byte.</summary>
    ClosedBeforeAnyByte,

    /// <summary>Anything else: a truncated or invalid response, a 101, an abort.</summary>
    Failed,
}

/// <summary>Reads a mirror's response by its framing and throws it away, to learn only whether the connection can be
/// reused. Interim (1xx) responses are skipped; the body is consumed in place, never copied.</summary>
internal static class MirrorResponse
{
    public static async ValueTask<(MirrorResponseStatus Status, bool KeepAlive)> DiscardAsync(PipeReader input, Http1Parser parser, bool headRequest)
    {
        HttpHeadInfo info;
        var sawBytes = false;
        while (true)
        {
            var read = await input.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            sawBytes |= !buffer.IsEmpty;
            if (TryParseHead(parser, buffer, out var consumed, out info, out var invalid))
            {
                input.AdvanceTo(consumed);
                if (info.StatusCode is >= 100 and < 200 && info.StatusCode != 101)
                {
                    continue;
                }

                break;
            }

            if (invalid || read.IsCompleted || read.IsCanceled)
            {
                input.AdvanceTo(buffer.End);
                return (sawBytes || invalid ? MirrorResponseStatus.Failed : MirrorResponseStatus.ClosedBeforeAnyByte, false);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }

        if (info.StatusCode == 101)
        {
            return (MirrorResponseStatus.Failed, false);
        }

        var keepAlive = info.Version == Http1Version.Http11
            ? (info.Connection & ConnectionOptions.Close) == 0
            : (info.Connection & ConnectionOptions.KeepAlive) != 0;
        if (headRequest || info.StatusCode is 204 or 304)
        {
            return (MirrorResponseStatus.Completed, keepAlive);
        }

        if (info.IsChunked)
        {
            return (await SkipChunkedAsync(input, parser.Limits).ConfigureAwait(false) ? MirrorResponseStatus.Completed : MirrorResponseStatus.Failed, keepAlive);
        }

        if (info.ContentLength >= 0)
        {
            return (await SkipFixedAsync(input, info.ContentLength).ConfigureAwait(false) ? MirrorResponseStatus.Completed : MirrorResponseStatus.Failed, keepAlive);
        }

        // Close-delimited: the body ends with the connection, which therefore cannot be reused.
        while (true)
        {
            var read = await input.ReadAsync().ConfigureAwait(false);
            input.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted || read.IsCanceled)
            {
                return (read.IsCompleted ? MirrorResponseStatus.Completed : MirrorResponseStatus.Failed, false);
            }
        }
    }

    private static bool TryParseHead(Http1Parser parser, in ReadOnlySequence<byte> buffer, out SequencePosition consumed, out HttpHeadInfo info, out bool invalid)
    {
        var reader = new SequenceReader<byte>(buffer);
        var handler = default(DiscardingHandler);
        consumed = buffer.Start;
        invalid = false;
        try
        {
            if (parser.TryParseResponseHead(ref reader, ref handler, out info))
            {
                consumed = reader.Position;
                return true;
            }
        }
        catch (Http1ParseException)
        {
            info = default;
            invalid = true;
        }

        return false;
    }

    private static async ValueTask<bool> SkipFixedAsync(PipeReader input, long remaining)
    {
        while (remaining > 0)
        {
            var read = await input.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            var take = Math.Min(remaining, buffer.Length);
            input.AdvanceTo(buffer.GetPosition(take));
            remaining -= take;
            if (remaining > 0 && (read.IsCompleted || read.IsCanceled))
            {
                return false;
            }
        }

        return true;
    }

    private static async ValueTask<bool> SkipChunkedAsync(PipeReader input, Http1ParserLimits limits)
    {
        var decoder = new ChunkedDecoder(limits);
        while (true)
        {
            var read = await input.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            if (!TryDecode(ref decoder, buffer, out var consumed, out var done))
            {
                input.AdvanceTo(buffer.End);
                return false;
            }

            input.AdvanceTo(consumed, buffer.End);
            if (done)
            {
                return true;
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                return false;
            }
        }
    }

    private static bool TryDecode(ref ChunkedDecoder decoder, in ReadOnlySequence<byte> buffer, out SequencePosition consumed, out bool done)
    {
        var reader = new SequenceReader<byte>(buffer);
        done = false;
        try
        {
            ChunkedDecodeStatus status;
            while ((status = decoder.Decode(ref reader, out _)) == ChunkedDecodeStatus.Data)
            {
            }

            done = status == ChunkedDecodeStatus.Completed;
            consumed = reader.Position;
            return true;
        }
        catch (Http1ParseException)
        {
            consumed = reader.Position;
            return false;
        }
    }

    private readonly struct DiscardingHandler : IHttpResponseHeadHandler
    {
        public void OnStatusLine(Http1Version version, int statusCode, ReadOnlySpan<byte> reasonPhrase)
        {
        }

        public void OnHeader(KnownHeader header, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
        }
    }
}
