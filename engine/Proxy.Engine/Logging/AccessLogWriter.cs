using System.Buffers;
using System.Threading.Channels;
using Proxy.Engine.Http;

namespace Proxy.Engine.Logging;

/// <summary>
/// Writes access-log lines off the request path: each finished request's line is rendered on its connection's thread
/// into pooled memory and queued; one background task writes the queue to the stream, flushing once per batch. The
/// queue is bounded: when the stream cannot keep up (a slow disk, a blocked pipe) new lines are dropped and counted
/// (<see cref="DroppedLines"/>) instead of slowing traffic.
/// </summary>
/// <remarks>Give it to <see cref="ProxyServerOptions.AccessLog"/>; dispose it after the server stopped, which writes
/// what is queued and flushes.</remarks>
public sealed class AccessLogWriter : IRequestLogSink, IAsyncDisposable
{
    /// <summary>Lines queued at most: at ~400 bytes a line about 3 MiB, a few seconds of a busy gateway's log.</summary>
    public const int DefaultCapacity = 8192;

    // Envoy's file access log flushes its buffer when it reaches 64 KiB (access_log_manager, flush interval 1s).
    private const int StreamBufferSize = 64 * 1024;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly Channel<Line> _queue;
    private readonly Task _writer;
    private long _dropped;
    private long _written;
    private long _failed;
    private int _disposed;

    /// <param name="stream">Where lines go (a file, stdout); written by one background task only.</param>
    /// <param name="format">Text (Istio's default) or JSON.</param>
    /// <param name="capacity">Lines queued at most before new ones are dropped.</param>
    /// <param name="leaveOpen">Whether disposing leaves <paramref name="stream"/> open (stdout).</param>
    public AccessLogWriter(Stream stream, AccessLogFormat format = AccessLogFormat.Text, int capacity = DefaultCapacity, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _stream = stream;
        _leaveOpen = leaveOpen;
        Format = format;
        _queue = Channel.CreateBounded<Line>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, AllowSynchronousContinuations = false },
            OnDropped);
        _writer = Task.Run(WriteLoopAsync);
    }

    public AccessLogFormat Format { get; }

    /// <summary>How long <see cref="DisposeAsync"/> waits for the queued lines to be written; a stream stuck longer
    /// (a hung disk, a stdout nobody reads) loses them, so a stop cannot hang on the log.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Lines dropped because the queue was full (or arrived after disposal).</summary>
    public long DroppedLines => Volatile.Read(ref _dropped);

    /// <summary>Lines handed to the stream.</summary>
    public long WrittenLines => Volatile.Read(ref _written);

    /// <summary>Lines lost because the stream failed.</summary>
    public long FailedLines => Volatile.Read(ref _failed);

    void IRequestLogSink.OnRequestCompleted(in RequestRecord record, in RequestLogFields fields)
    {
        var line = AccessLogRenderer.Render(Format, record, fields);
        if (!_queue.Writer.TryWrite(new Line(line.Buffer, line.Length)))
        {
            // Completed: the writer is shutting down.
            line.Dispose();
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Writes the lines still queued, flushes, and closes the stream unless it was left open.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        try
        {
            await _writer.WaitAsync(CloseTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The stream is stuck: what is still queued is lost. Closing it below may wake the blocked write.
        }

        if (!_leaveOpen)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void OnDropped(Line line)
    {
        ArrayPool<byte>.Shared.Return(line.Buffer);
        Interlocked.Increment(ref _dropped);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new BufferedStream(_stream, StreamBufferSize);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var pending = 0;
            while (reader.TryRead(out var line))
            {
                try
                {
                    await batch.WriteAsync(line.Buffer.AsMemory(0, line.Length)).ConfigureAwait(false);
                    pending++;
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
                {
                    Interlocked.Increment(ref _failed);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(line.Buffer);
                }
            }

            try
            {
                await batch.FlushAsync().ConfigureAwait(false);
                Interlocked.Add(ref _written, pending);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
            {
                Interlocked.Add(ref _failed, pending);
            }
        }
    }

    private readonly record struct Line(byte[] Buffer, int Length);
}
