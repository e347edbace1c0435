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
    /// Where pipe continuations run. Inline: the thread that completed the socket operation (a thread-pool thread,
    /// since .NET's epoll loop dispatches completions to the pool) runs the parser, router and forwarding directly.
    /// Kestrel instead dispatches to an IOQueue and then to the thread pool (two hops per read) because application
    /// code may block; ours never does. Measured on the 2-core reference machine with perf/compare.sh (tiny GET, 64
    /// connections, proxy pinned to one core): see perf/RESULTS.md, "Scheduling".
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
