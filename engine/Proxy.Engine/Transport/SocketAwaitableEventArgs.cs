using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Proxy.Engine.Transport;

/// <summary>
/// A reusable <see cref="SocketAsyncEventArgs"/> that is its own <see cref="IValueTaskSource{TResult}"/>, so a
/// receive or send costs no allocation (Kestrel's socket transport uses the same shape). One instance serves one
/// direction of one socket and has at most one operation outstanding.
/// Errors are returned as values (<see cref="SocketResult.Error"/>): a reset peer is an expected outcome, not an
/// exception.
/// </summary>
internal sealed class SocketAwaitableEventArgs : SocketAsyncEventArgs, IValueTaskSource<SocketResult>
{
    private ManualResetValueTaskSourceCore<SocketResult> _source;
    private List<ArraySegment<byte>>? _bufferList;

    public SocketAwaitableEventArgs()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        // Continuations run on the thread that completed the I/O (a thread-pool thread on Linux): the pipe
        // behind it then decides where application code runs (see SocketConnection).
        _source.RunContinuationsAsynchronously = false;
    }

    /// <summary>Receives into <paramref name="buffer"/>; an empty buffer waits for data without consuming any.</summary>
    public ValueTask<SocketResult> ReceiveAsync(Socket socket, Memory<byte> buffer)
    {
        _source.Reset();
        SetBuffer(buffer);
        if (socket.ReceiveAsync(this))
        {
            return new ValueTask<SocketResult>(this, _source.Version);
        }

        return new ValueTask<SocketResult>(new SocketResult(BytesTransferred, SocketError));
    }

    /// <summary>Sends all of <paramref name="buffer"/> (the socket completes a send only when all bytes are queued).</summary>
    public ValueTask<SocketResult> SendAsync(Socket socket, in ReadOnlySequence<byte> buffer)
    {
        _source.Reset();
        if (buffer.IsSingleSegment)
        {
            if (BufferList != null)
            {
                BufferList = null;
            }

            SetBuffer(MemoryMarshal.AsMemory(buffer.First));
        }
        else
        {
            if (Buffer != null || MemoryBuffer.Length != 0)
            {
                SetBuffer(null, 0, 0);
            }

            var list = _bufferList ??= new List<ArraySegment<byte>>(4);
            list.Clear();
            foreach (var segment in buffer)
            {
                if (!MemoryMarshal.TryGetArray(segment, out var array))
                {
                    ThrowNotArrayBacked();
                }

                list.Add(array);
            }

            BufferList = list;
        }

        if (socket.SendAsync(this))
        {
            return new ValueTask<SocketResult>(this, _source.Version);
        }

        return new ValueTask<SocketResult>(new SocketResult(BytesTransferred, SocketError));
    }

    protected override void OnCompleted(SocketAsyncEventArgs e)
        => _source.SetResult(new SocketResult(BytesTransferred, SocketError));

    SocketResult IValueTaskSource<SocketResult>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SocketResult>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<SocketResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _source.OnCompleted(continuation, state, token, flags);

    [StackTraceHidden]
    private static void ThrowNotArrayBacked() => throw new InvalidOperationException("Pipe memory must be array-backed.");
}

/// <summary>Outcome of one socket operation.</summary>
internal readonly record struct SocketResult(int BytesTransferred, SocketError Error)
{
    public bool Succeeded => Error == SocketError.Success;
}
