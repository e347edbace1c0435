using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Proxy.Engine.Transport;

/// <summary>
/// One pool of 16 KiB blocks allocated on the pinned object heap, shared by every pipe of the process (the same idea
/// as aspnetcore's PinnedBlockMemoryPool). <see cref="MemoryPool{T}.Shared"/> allocates an owner object per rent;
/// here the block objects themselves are pooled, so steady-state traffic rents and returns without allocating.
/// Pinned blocks can be handed to the socket without pinning per operation.
/// </summary>
internal sealed class PinnedBlockMemoryPool : MemoryPool<byte>
{
    /// <summary>
    /// The pipes' segment size, and so the most one receive can read. Kestrel's 4 KiB made a proxied 64 KiB response
    /// cost 36 receives and 18 sends (348 us of CPU per request against nginx's 76); at 16 KiB it costs 100 us
    /// (perf/RESULTS.md, 2026-11-28). Idle connections hold no block at all (zero-byte reads), so the larger block
    /// costs memory only while data is in flight. 16 KiB is also TLS's largest record.
    /// </summary>
    public const int BlockSize = 16 * 1024;

    private readonly ConcurrentQueue<MemoryPoolBlock> _blocks = new();
    private int _rented;
    private bool _disposed;

    public static PinnedBlockMemoryPool Instance { get; } = new();

    public override int MaxBufferSize => BlockSize;

    /// <summary>Blocks currently rented (diagnostics and leak tests).</summary>
    public int RentedCount => Volatile.Read(ref _rented);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            ThrowTooLarge(minBufferSize);
        }

        Interlocked.Increment(ref _rented);
        if (_blocks.TryDequeue(out var block))
        {
            return block;
        }

        return new MemoryPoolBlock(this, GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true));
    }

    internal void Return(MemoryPoolBlock block)
    {
        Interlocked.Decrement(ref _rented);
        if (!_disposed)
        {
            _blocks.Enqueue(block);
        }
    }

    protected override void Dispose(bool disposing) => _disposed = true;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooLarge(int size)
        => throw new ArgumentOutOfRangeException(nameof(size), size, $"Blocks are {BlockSize} bytes.");

    internal sealed class MemoryPoolBlock : IMemoryOwner<byte>
    {
        private readonly PinnedBlockMemoryPool _pool;

        public MemoryPoolBlock(PinnedBlockMemoryPool pool, byte[] array)
        {
            _pool = pool;
            Memory = MemoryMarshal.CreateFromPinnedArray(array, 0, array.Length);
        }

        public Memory<byte> Memory { get; }

        public void Dispose() => _pool.Return(this);
    }
}
