using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Proxy.Engine.Transport;

namespace Proxy.Engine.Tls;

/// <summary>
/// A TLS session over a socket connection, exposed as a duplex pipe like the socket itself, so the HTTP and L4
/// handlers neither know nor care. <see cref="SslStream"/> (OpenSSL underneath) reads ciphertext from the socket
/// connection's input pipe through <see cref="DuplexPipeStream"/>; a read loop decrypts into <see cref="Input"/> and a
/// write loop encrypts what the application writes to <see cref="Output"/>.
/// </summary>
/// <remarks>
/// Closing in order: the application completes <see cref="Output"/> (or disposes); the write loop sends what is left,
/// then close_notify, then completes the socket's output (FIN). The read loop ends at the peer's close_notify or FIN
/// and completes <see cref="Input"/>'s writer. <see cref="Abort"/> resets the socket and both loops end.
/// </remarks>
internal sealed class TlsConnection : ITransportConnection
{
    private readonly SocketConnection _inner;
    private readonly SslStream _ssl;
    private readonly DuplexPipeStream _stream;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private Task _readTask = Task.CompletedTask;
    private Task _writeTask = Task.CompletedTask;
    private SocketError _receiveError;
    private int _disposed;
    private ReceiveEndedSignal _receiveEnded;

    /// <param name="inner">The socket connection the session runs over.</param>
    /// <param name="ssl">The authenticated session.</param>
    /// <param name="stream">The stream <paramref name="ssl"/> was made over (on <paramref name="inner"/>'s pipes).</param>
    /// <param name="options">Pipe settings for the plaintext pipes.</param>
    public TlsConnection(SocketConnection inner, SslStream ssl, DuplexPipeStream stream, TransportOptions options)
    {
        _inner = inner;
        _ssl = ssl;
        _stream = stream;
        _input = new Pipe(options.CreateInputOptions());
        _output = new Pipe(options.CreateOutputOptions());
    }

    public PipeReader Input => _input.Reader;

    public PipeWriter Output => _output.Writer;

    public IPEndPoint? LocalEndPoint => _inner.LocalEndPoint;

    public IPEndPoint? RemoteEndPoint => _inner.RemoteEndPoint;

    public SocketError ReceiveError => _receiveError != SocketError.Success ? _receiveError : _inner.ReceiveError;

    public bool IsAborted => _inner.IsAborted;

    /// <summary>The negotiated session (protocol, cipher, peer certificate, ALPN).</summary>
    public SslStream Session => _ssl;

    public void Start()
    {
        // The handshake is done: from now on a batch of records leaves in one send, on the write loop's flush.
        _stream.BufferWrites = true;

        _readTask = ReadLoopAsync();
        _writeTask = WriteLoopAsync();
    }

    public void Abort()
    {
        _inner.Abort();
        _input.Writer.CancelPendingFlush();
        _output.Reader.CancelPendingRead();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        await _writeTask.ConfigureAwait(false);

        // The peer may never send close_notify or FIN: stop waiting for it.
        _inner.Input.CancelPendingRead();
        await _input.Reader.CompleteAsync().ConfigureAwait(false);
        await _readTask.ConfigureAwait(false);

        // Both loops are done with the session; release it before the socket. Synchronously: with
        // leaveInnerStreamOpen, SslStream.DisposeAsync would flush the socket output the write loop already completed,
        // where Dispose calls the no-op Flush().
        _ssl.Dispose();
        await _inner.DisposeAsync().ConfigureAwait(false);
    }

    public void OnReceiveEnded(Action<object?> callback, object? state) => _receiveEnded.Register(callback, state);

    private async Task ReadLoopAsync()
    {
        var writer = _input.Writer;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(PinnedBlockMemoryPool.BlockSize / 2);
                var read = await _ssl.ReadAsync(memory).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                writer.Advance(read);
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or ObjectDisposedException or InvalidOperationException)
        {
            // A reset, a truncation attack (EOF without close_notify mid-record) or a bad record: the stream is broken.
            if (!_inner.IsAborted)
            {
                _receiveError = SocketError.ConnectionReset;
            }
        }
        finally
        {
            await writer.CompleteAsync().ConfigureAwait(false);
            _receiveEnded.Raise();
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _output.Reader;
        var failed = false;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    failed = true;
                    break;
                }

                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    foreach (var segment in buffer)
                    {
                        await _ssl.WriteAsync(segment).ConfigureAwait(false);
                    }

                    await _ssl.FlushAsync().ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.End);
                if (_stream.OutputClosed)
                {
                    failed = true;
                    break;
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }

            if (!failed)
            {
                // close_notify, so the peer can tell a complete close-delimited body from a truncated one.
                await _ssl.ShutdownAsync().ConfigureAwait(false);
                await _ssl.FlushAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or ObjectDisposedException or InvalidOperationException)
        {
            failed = true;
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            if (failed)
            {
                _inner.Abort();
            }
            else
            {
                await _inner.Output.CompleteAsync().ConfigureAwait(false);
            }
        }
    }
}
