using System.IO.Pipelines;

namespace Proxy.Engine.Transport;

/// <summary>Pipe and socket settings shared by downstream and upstream connections.</summary>
internal sealed class TransportOptions
{
    /// <summary>
    /// Rent a buffer only after a zero-byte receive says data is there, so idle keep-alive connections (downstream
    /// clients and pooled upstreams alike) hold no buffer (Kestrel's WaitForDataBeforeAllocatingBuffer, YARP's
    /// StreamCopier). Costs one extra readiness wait per read burst.
    /// </summary>
    public bool WaitForDataBeforeAllocatingBuffer { get; init; } = true;

    /// <summary>
    /// Where pipe continuations run. Inline: the thread that completed the socket operation runs the parser, router
    /// and forwarding directly. Kestrel instead dispatches to an IOQueue and then to the thread pool because
    /// application code may block; ours never does. Measured with perf/compare.sh on the 2-core reference machine
    /// (tiny GET, 64 connections, proxy pinned to one core): inline 16.2k-21.0k req/s at 41-61 us of CPU per request,
    /// thread pool 14.3k-14.8k at 66-69 us, in three full runs (perf/RESULTS.md, 2026-11-28). The `proxy` binary
    /// additionally has .NET's epoll thread run completions itself (see Proxy.Host's Program), so inline here means
    /// no hand-off at all between the kernel's readiness event and our code.
    /// </summary>
    public PipeScheduler ApplicationScheduler { get; init; } = PipeScheduler.Inline;

    /// <summary>Bytes buffered in a pipe before the producer pauses (socket reads stop: read pausing under backpressure).</summary>
    public long PauseThreshold { get; init; } = 128 * 1024;

    public long ResumeThreshold { get; init; } = 64 * 1024;

    public static TransportOptions Default { get; } = new();

    internal PipeOptions CreateInputOptions() => new(
        pool: PinnedBlockMemoryPool.Instance,
        readerScheduler: ApplicationScheduler,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: PauseThreshold,
        resumeWriterThreshold: ResumeThreshold,
        minimumSegmentSize: PinnedBlockMemoryPool.BlockSize,
        useSynchronizationContext: false);

    internal PipeOptions CreateOutputOptions() => new(
        pool: PinnedBlockMemoryPool.Instance,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: ApplicationScheduler,
        pauseWriterThreshold: PauseThreshold,
        resumeWriterThreshold: ResumeThreshold,
        minimumSegmentSize: PinnedBlockMemoryPool.BlockSize,
        useSynchronizationContext: false);
}
