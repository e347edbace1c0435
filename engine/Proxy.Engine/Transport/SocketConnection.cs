using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Proxy.Engine.Transport;

/// <summary>
/// A connected socket exposed as a duplex pipe. A receive loop reads from the socket straight into pooled pipe
/// memory and pauses when the application falls behind (the pipe's pause threshold); a send loop drains what the
/// application writes. No Stream is involved.
/// </summary>
/// <remarks>
/// Who completes what: the receive loop completes <see cref="Input"/>'s writer at end of stream or on error (errors
/// are recorded in <see cref="ReceiveError"/>, never thrown into the reader); the application completes
/// <see cref="Output"/> (or calls <see cref="DisposeAsync"/>) and the send loop then flushes what is left and
/// half-closes the socket (FIN). <see cref="Abort"/> closes the socket at once; both loops end.
/// </remarks>
internal sealed class SocketConnection : ITransportConnection
{
    private const int MinReceiveSize = PinnedBlockMemoryPool.BlockSize / 2;

    private readonly Socket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly bool _waitForData;
    private readonly SocketAwaitableEventArgs _receiver = new();
    private readonly SocketAwaitableEventArgs _sender = new();
    private Task _receiveTask = Task.CompletedTask;
    private Task _sendTask = Task.CompletedTask;
    private volatile bool _aborted;
    private int _disposed;
    private ReceiveEndedSignal _receiveEnded;

    public SocketConnection(Socket socket, TransportOptions options)
    {
        _socket = socket;
        _waitForData = options.WaitForDataBeforeAllocatingBuffer;
        _input = new Pipe(options.CreateInputOptions());
        _output = new Pipe(options.CreateOutputOptions());
        LocalEndPoint = socket.LocalEndPoint as IPEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
    }

    public PipeReader Input => _input.Reader;

    public PipeWriter Output => _output.Writer;

    public IPEndPoint? LocalEndPoint { get; }

    public IPEndPoint? RemoteEndPoint { get; }

    /// <summary>Why receiving stopped, if not a clean end of stream.</summary>
    public SocketError ReceiveError { get; private set; }

    /// <summary>Why sending stopped, if it failed.</summary>
    public SocketError SendError { get; private set; }

    public bool IsAborted => _aborted;

    public void Start()
    {
        _receiveTask = ReceiveLoopAsync();
        _sendTask = SendLoopAsync();
    }

    /// <summary>Closes the socket immediately; pending data in either direction is dropped.</summary>
    public void Abort()
    {
        if (_aborted)
        {
            return;
        }

        _aborted = true;
        try
        {
            // Linger 0 turns close into a reset, so the peer learns at once that the exchange failed.
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Dispose();
        _input.Writer.CancelPendingFlush();
        _output.Reader.CancelPendingRead();
    }

    /// <summary>
    /// Orderly close: flushes what the application wrote, sends FIN, then releases the socket and the pipes.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        await _sendTask.ConfigureAwait(false);
        await _input.Reader.CompleteAsync().ConfigureAwait(false);
        _socket.Dispose();
        _aborted = true;
        await _receiveTask.ConfigureAwait(false);
        _receiver.Dispose();
        _sender.Dispose();
    }

    public void OnReceiveEnded(Action<object?> callback, object? state) => _receiveEnded.Register(callback, state);

    private async Task ReceiveLoopAsync()
    {
        var writer = _input.Writer;
        var waitForData = _waitForData;
        try
        {
            while (true)
            {
                if (waitForData)
                {
                    var wait = await _receiver.ReceiveAsync(_socket, Memory<byte>.Empty);
                    if (!wait.Succeeded)
                    {
                        RecordReceiveError(wait.Error);
                        break;
                    }
                }

                var memory = writer.GetMemory(MinReceiveSize);
                var result = await _receiver.ReceiveAsync(_socket, memory);
                if (!result.Succeeded)
                {
                    RecordReceiveError(result.Error);
                    break;
                }

                if (result.BytesTransferred == 0)
                {
                    break;
                }

                // A receive that filled the buffer likely left more in the socket (a body in flight): read again at
                // once rather than wait for readiness, halving the receive syscalls of bulk transfers.
                waitForData = _waitForData && result.BytesTransferred < memory.Length;
                writer.Advance(result.BytesTransferred);
                var flush = await writer.FlushAsync();
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            RecordReceiveError(SocketError.OperationAborted);
        }
        catch (SocketException ex)
        {
            RecordReceiveError(ex.SocketErrorCode);
        }
        finally
        {
            await writer.CompleteAsync().ConfigureAwait(false);
            _receiveEnded.Raise();
        }
    }

    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        var failed = false;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                if (result.IsCanceled)
                {
                    failed = true;
                    break;
                }

                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    var sent = await _sender.SendAsync(_socket, buffer);
                    if (!sent.Succeeded)
                    {
                        SendError = sent.Error;
                        failed = true;
                        break;
                    }
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            failed = true;
        }
        catch (SocketException ex)
        {
            SendError = ex.SocketErrorCode;
            failed = true;
        }
        finally
        {
            // Completing the reader makes the application's next FlushAsync report IsCompleted: it learns the
            // peer is gone without an exception.
            await reader.CompleteAsync().ConfigureAwait(false);
            if (!failed && !_aborted)
            {
                try
                {
                    _socket.Shutdown(SocketShutdown.Send);
                }
                catch (SocketException)
                {
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }
    }

    private void RecordReceiveError(SocketError error)
    {
        if (!_aborted && error != SocketError.OperationAborted)
        {
            ReceiveError = error;
        }
    }
}
