using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Proxy.Engine.Transport;

/// <summary>
/// A connection as the protocol handlers see it: a duplex pipe that can be closed in order or aborted. Implemented by
/// <see cref="SocketConnection"/> (plaintext) and <see cref="Tls.TlsConnection"/> (TLS over a socket connection).
/// </summary>
/// <remarks>
/// Same contract for both: the transport completes <see cref="IDuplexPipe.Input"/>'s writer at end of stream or
/// error (recorded in <see cref="ReceiveError"/>); the application completes <see cref="IDuplexPipe.Output"/> or
/// calls <see cref="IAsyncDisposable.DisposeAsync"/>, after which what was written is flushed and the write side
/// closed (FIN, after close_notify for TLS).
/// </remarks>
internal interface ITransportConnection : IDuplexPipe, IAsyncDisposable
{
    IPEndPoint? LocalEndPoint { get; }

    IPEndPoint? RemoteEndPoint { get; }

    /// <summary>Why receiving stopped, if not a clean end of stream.</summary>
    SocketError ReceiveError { get; }

    bool IsAborted { get; }

    /// <summary>Closes at once (RST); pending data in either direction is dropped.</summary>
    void Abort();

    /// <summary>
    /// Calls <paramref name="callback"/> once, on the transport's thread, when receiving ends (end of stream, error or
    /// abort), or at once if it already has: how a handler that is not reading learns that its peer went away. One
    /// callback per connection; set it before the first read.
    /// </summary>
    void OnReceiveEnded(Action<object?> callback, object? state);
}
