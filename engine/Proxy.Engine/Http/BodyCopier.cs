using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Proxy.Protocols.Http1;

namespace Proxy.Engine.Http;

/// <summary>
/// Streams message bodies pipe to pipe by their framing, never holding more than the pipes' pause thresholds: a
/// 100 MiB upload moves through a few hundred KiB of pooled blocks. Copies are memcpy between pooled segments;
/// no Stream, no per-call allocation (pooled async state machines).
/// </summary>
internal static class BodyCopier
{
    /// <summary>Copies exactly <paramref name="length"/> bytes.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<(BodyCopyResult Result, long Copied)> CopyFixedAsync(PipeReader source, PipeWriter destination, long length)
    {
        if (length == 0)
        {
            // Nothing to copy, but what the caller wrote before (a head) must still leave.
            var flushed = await destination.FlushAsync().ConfigureAwait(false);
            return (flushed.IsCompleted ? BodyCopyResult.DestinationClosed : BodyCopyResult.Completed, 0);
        }

        var remaining = length;
        while (remaining > 0)
        {
            var read = await source.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            if (read.IsCanceled)
            {
                source.AdvanceTo(buffer.Start);
                return (BodyCopyResult.Canceled, length - remaining);
            }

            if (buffer.IsEmpty && read.IsCompleted)
            {
                source.AdvanceTo(buffer.Start);
                return (BodyCopyResult.SourceEnded, length - remaining);
            }

            var take = Math.Min(remaining, buffer.Length);
            var slice = buffer.Slice(0, take);
            Write(destination, slice);
            source.AdvanceTo(slice.End);
            remaining -= take;

            var flush = await destination.FlushAsync().ConfigureAwait(false);
            if (flush.IsCompleted || flush.IsCanceled)
            {
                return (BodyCopyResult.DestinationClosed, length - remaining);
            }
        }

        return (BodyCopyResult.Completed, length);
    }

    /// <summary>
    /// Decodes a chunked body from <paramref name="source"/>; writes its data re-chunked when
    /// <paramref name="encodeChunked"/> (extensions and trailers are dropped, as Envoy does on HTTP/1), else raw.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<(BodyCopyResult Result, long Copied)> CopyChunkedAsync(
        PipeReader source, PipeWriter destination, bool encodeChunked, Http1ParserLimits limits)
    {
        var decoder = new ChunkedDecoder(limits);
        long copied = 0;
        while (true)
        {
            var read = await source.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            if (read.IsCanceled)
            {
                source.AdvanceTo(buffer.Start);
                return (BodyCopyResult.Canceled, copied);
            }

            if (!TryDecodeAvailable(ref decoder, buffer, destination, encodeChunked, out var status, out var consumed, out var written))
            {
                source.AdvanceTo(buffer.End);
                return (BodyCopyResult.InvalidFraming, copied + written);
            }

            copied += written;
            source.AdvanceTo(consumed, buffer.End);
            if (status == ChunkedDecodeStatus.Completed)
            {
                return (await EndBodyAsync(destination, encodeChunked).ConfigureAwait(false), copied);
            }

            if (read.IsCompleted)
            {
                return (BodyCopyResult.SourceEnded, copied);
            }

            if (written > 0)
            {
                var flush = await destination.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    return (BodyCopyResult.DestinationClosed, copied);
                }
            }
        }
    }

    /// <summary>
    /// Copies until the source ends (a close-delimited response), framing each read as one chunk when the client gets
    /// chunked framing (<paramref name="encodeChunked"/>) and raw otherwise. <see cref="BodyCopyResult.Completed"/> means
    /// the source ended; the caller decides whether that end was clean and then calls <see cref="EndBodyAsync"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<(BodyCopyResult Result, long Copied)> CopyToEndAsync(PipeReader source, PipeWriter destination, bool encodeChunked)
    {
        long copied = 0;
        while (true)
        {
            var read = await source.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            if (read.IsCanceled)
            {
                source.AdvanceTo(buffer.Start);
                return (BodyCopyResult.Canceled, copied);
            }

            if (!buffer.IsEmpty)
            {
                if (encodeChunked)
                {
                    ChunkedEncoder.WriteChunkPrefix(destination, buffer.Length);
                    Write(destination, buffer);
                    ChunkedEncoder.WriteChunkSuffix(destination);
                }
                else
                {
                    Write(destination, buffer);
                }

                copied += buffer.Length;
            }

            source.AdvanceTo(buffer.End);
            if (read.IsCompleted)
            {
                return (BodyCopyResult.Completed, copied);
            }

            var flush = await destination.FlushAsync().ConfigureAwait(false);
            if (flush.IsCompleted || flush.IsCanceled)
            {
                return (BodyCopyResult.DestinationClosed, copied);
            }
        }
    }

    /// <summary>Ends a body copied by <see cref="CopyToEndAsync"/>: the last chunk when chunked, then a flush.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<BodyCopyResult> EndBodyAsync(PipeWriter destination, bool chunked)
    {
        if (chunked)
        {
            ChunkedEncoder.WriteLastChunk(destination);
        }

        var flush = await destination.FlushAsync().ConfigureAwait(false);
        return flush.IsCompleted ? BodyCopyResult.DestinationClosed : BodyCopyResult.Completed;
    }

    /// <summary>Pumps raw bytes one way until the source ends (an upgraded connection's tunnel).</summary>
    public static async Task<long> TunnelAsync(PipeReader source, PipeWriter destination)
    {
        long copied = 0;
        while (true)
        {
            var read = await source.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            if (!buffer.IsEmpty)
            {
                Write(destination, buffer);
                copied += buffer.Length;
            }

            source.AdvanceTo(buffer.End);
            if (read.IsCompleted || read.IsCanceled)
            {
                break;
            }

            var flush = await destination.FlushAsync().ConfigureAwait(false);
            if (flush.IsCompleted || flush.IsCanceled)
            {
                break;
            }
        }

        // Half-close: the other side learns this direction is done (FIN) while the reverse may still flow.
        await destination.CompleteAsync().ConfigureAwait(false);
        return copied;
    }

    /// <summary>
    /// Decodes everything <paramref name="buffer"/> holds, writing the data; <paramref name="status"/> is then
    /// <see cref="ChunkedDecodeStatus.NeedMoreData"/> or <see cref="ChunkedDecodeStatus.Completed"/>. False on invalid
    /// framing.
    /// </summary>
    private static bool TryDecodeAvailable(
        ref ChunkedDecoder decoder, ReadOnlySequence<byte> buffer, PipeWriter destination, bool encodeChunked,
        out ChunkedDecodeStatus status, out SequencePosition consumed, out long written)
    {
        var reader = new SequenceReader<byte>(buffer);
        written = 0;
        try
        {
            while (true)
            {
                status = decoder.Decode(ref reader, out var data);
                if (status == ChunkedDecodeStatus.Data)
                {
                    if (encodeChunked)
                    {
                        ChunkedEncoder.WriteChunkPrefix(destination, data.Length);
                        Write(destination, data);
                        ChunkedEncoder.WriteChunkSuffix(destination);
                    }
                    else
                    {
                        Write(destination, data);
                    }

                    written += data.Length;
                    continue;
                }

                consumed = reader.Position;
                return true;
            }
        }
        catch (Http1ParseException)
        {
            status = default;
            consumed = reader.Position;
            return false;
        }
    }

    private static void Write(PipeWriter destination, in ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment)
        {
            destination.Write(data.FirstSpan);
            return;
        }

        foreach (var segment in data)
        {
            destination.Write(segment.Span);
        }
    }
}
