using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Proxy.Protocols.Http1;

namespace Proxy.Hosting.Http;

/// <summary>
/// Serves the requests of one connection in order. Each read is processed synchronously as far as it goes (a head, then
/// its body, then the answer, then the next pipelined head); answers accumulate in one buffer that is flushed once per
/// read, so pipelined requests that arrive together are answered together.
/// </summary>
internal sealed class MiniHttpConnection
{
    private readonly Socket _socket;
    private readonly Http1Parser _parser;
    private readonly MiniHttpHandler _handler;
    private readonly ILogger _logger;
    private readonly MiniHttpRequest _request = new();
    private readonly ArrayBufferWriter<byte> _output = new(4096);

    private State _state;
    private HttpHeadInfo _info;
    private long _bodyRemaining;
    private ChunkedDecoder _chunkedDecoder;
    private bool _closeAfterResponse;

    public MiniHttpConnection(Socket socket, Http1Parser parser, MiniHttpHandler handler, ILogger logger)
    {
        _socket = socket;
        _parser = parser;
        _handler = handler;
        _logger = logger;
    }

    private enum State
    {
        Head,
        FixedBody,
        ChunkedBody,
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        // Yield so the accept loop goes straight back to accepting.
        await Task.Yield();
        using var socket = _socket;
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(stopping).ConfigureAwait(false);
                var buffer = result.Buffer;
                var close = false;
                try
                {
                    while (!_closeAfterResponse && TryServeOne(ref buffer))
                    {
                    }
                }
                catch (Http1ParseException ex)
                {
                    HostingLog.BadRequest(_logger, ex.StatusCode, ex.Message);
                    WriteResponse(MiniHttpResponse.Text(ex.StatusCode, ex.Message + "\n"), isHead: false, close: true);
                    close = true;
                }

                close |= _closeAfterResponse;
                if (_output.WrittenCount > 0)
                {
                    await stream.WriteAsync(_output.WrittenMemory, stopping).ConfigureAwait(false);
                    _output.ResetWrittenCount();
                }

                if (close)
                {
                    break;
                }

                // Everything left is an incomplete head (consumed nothing) or nothing at all: examine it all, read more.
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The peer went away or the server is stopping: nothing to answer.
        }
#pragma warning disable CA1031 // A failing handler must close its connection, never fault the server.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            HostingLog.HandlerFailed(_logger, ex);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Advances through one request and answers it; false when more input is needed first.</summary>
    private bool TryServeOne(ref ReadOnlySequence<byte> buffer)
    {
        if (_state == State.Head)
        {
            var reader = new SequenceReader<byte>(buffer);
            _request.Reset();
            var collector = new RequestHeadCollector(_request);
            if (!_parser.TryParseRequestHead(ref reader, ref collector, out _info))
            {
                return false;
            }

            buffer = buffer.Slice(reader.Position);
            if (_info.IsChunked)
            {
                _chunkedDecoder = new ChunkedDecoder(_parser.Limits);
                _state = State.ChunkedBody;
            }
            else if (_info.ContentLength > 0)
            {
                _bodyRemaining = _info.ContentLength;
                _state = State.FixedBody;
            }

            if (_state != State.Head && _info.ExpectContinue)
            {
                // RFC 9110 10.1.1: tell the client to send the body it is holding back.
                _output.Write("HTTP/1.1 100 Continue\r\n\r\n"u8);
            }
        }

        if (_state == State.FixedBody)
        {
            var take = Math.Min(buffer.Length, _bodyRemaining);
            buffer = buffer.Slice(take);
            _bodyRemaining -= take;
            _request.BodyBytes += take;
            if (_bodyRemaining > 0)
            {
                return false;
            }
        }
        else if (_state == State.ChunkedBody)
        {
            var reader = new SequenceReader<byte>(buffer);
            while (true)
            {
                var status = _chunkedDecoder.Decode(ref reader, out var data);
                if (status == ChunkedDecodeStatus.Data)
                {
                    _request.BodyBytes += data.Length;
                    continue;
                }

                buffer = buffer.Slice(reader.Position);
                if (status == ChunkedDecodeStatus.NeedMoreData)
                {
                    return false;
                }

                break;
            }
        }

        _state = State.Head;
        var keepAlive = _info.Version == Http1Version.Http11
            ? (_info.Connection & ConnectionOptions.Close) == 0
            : (_info.Connection & (ConnectionOptions.KeepAlive | ConnectionOptions.Close)) == ConnectionOptions.KeepAlive;
        var response = _handler(_request);
        WriteResponse(response, _info.Method == Http1Method.Head, close: !keepAlive, keepAliveHttp10: keepAlive && _info.Version == Http1Version.Http10);
        _closeAfterResponse = !keepAlive;
        return true;
    }

    private void WriteResponse(MiniHttpResponse response, bool isHead, bool close, bool keepAliveHttp10 = false)
    {
        var head = new StringBuilder(256);
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {response.StatusCode} {ReasonPhrase(response.StatusCode)}\r\n");
        head.Append("content-type: ").Append(response.ContentType).Append("\r\n");
        foreach (var (name, value) in response.Headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        head.Append(CultureInfo.InvariantCulture, $"content-length: {response.Body.Length}\r\n");
        if (close)
        {
            head.Append("connection: close\r\n");
        }
        else if (keepAliveHttp10)
        {
            head.Append("connection: keep-alive\r\n");
        }

        head.Append("\r\n");
        Encoding.Latin1.GetBytes(head.ToString(), _output);
        if (!isHead)
        {
            _output.Write(response.Body.Span);
        }
    }

    private static string ReasonPhrase(int statusCode) => statusCode switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    };
}
