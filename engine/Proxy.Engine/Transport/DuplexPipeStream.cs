using System.Buffers;
using System.IO.Pipelines;

namespace Proxy.Engine.Transport;

/// <summary>
/// A <see cref="Stream"/> over a connection's pipes, for the one consumer that needs a Stream: <c>SslStream</c>.
/// Reads copy out of the input pipe (bytes already buffered, such as a ClientHello that was only peeked, come first);
/// writes copy into the output pipe and are sent at once, or on <see cref="FlushAsync(CancellationToken)"/> when
/// <see cref="BufferWrites"/> is set, so the records of one application write leave in one send.
/// </summary>
internal sealed class DuplexPipeStream : Stream
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;

    public DuplexPipeStream(IDuplexPipe pipe)
    {
        _input = pipe.Input;
        _output = pipe.Output;
    }

    /// <summary>
    /// When set, writes only copy and <see cref="FlushAsync(CancellationToken)"/> sends. SslStream does not flush
    /// during a handshake, so a fresh stream sends on every write; the owner turns buffering on once the session is
    /// up and flushes after each batch of records.
    /// </summary>
    public bool BufferWrites { get; set; }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                _input.AdvanceTo(buffer.Start);
                return 0;
            }

            if (!buffer.IsEmpty)
            {
                var length = (int)Math.Min(buffer.Length, destination.Length);
                var slice = buffer.Slice(0, length);
                slice.CopyTo(destination.Span);
                _input.AdvanceTo(slice.End);
                return length;
            }

            _input.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                return 0;
            }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        _output.Write(source.Span);
        if (!BufferWrites)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        var result = await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted)
        {
            OutputClosed = true;

            // During a handshake the failure must surface; afterwards the owner checks OutputClosed (SslStream's own
            // disposal flushes too, and must not throw for a peer that already left).
            if (!BufferWrites)
            {
                throw new IOException("The connection was closed by the peer.");
            }
        }
    }

    /// <summary>Set once a flush found the connection's output closed (the peer is gone or the socket aborted).</summary>
    public bool OutputClosed { get; private set; }

    /// <summary>Only called by SslStream's disposal; everything written has been flushed by then.</summary>
    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => _output.Write(buffer.AsSpan(offset, count));

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
