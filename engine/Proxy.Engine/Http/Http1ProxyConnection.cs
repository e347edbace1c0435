using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Proxy.Engine.Config;
using Proxy.Engine.Http.Mirroring;
using Proxy.Engine.Routing;
using Proxy.Engine.Transport;
using Proxy.Engine.Upstream;
using Proxy.Protocols.Http1;

namespace Proxy.Engine.Http;

/// <summary>
/// One downstream HTTP/1.1 connection: reads requests in order (keep-alive and pipelining), routes each, forwards it
/// over a pooled upstream connection and streams the response back.
/// </summary>
/// <remarks>
/// <code>
///  client ──► [downstream pipe] ──► parse head ──► route ──► pick cluster/endpoint ──► lease upstream
///                                                                                          │
///  client ◄── [downstream pipe] ◄── response head + body ◄── parse response ◄── head + body ┘
/// </code>
/// Per request (numbered as in the code):
/// Step 1: read and parse the request head (the parser rejects bad input; we answer its status and close).
/// Step 2: route it; no route -> 404 NR. Then the route's actions (Http1ProxyConnection.Actions.cs): a CORS preflight
///         answered, a fault delay and abort, a redirect or direct response answered; else pick a destination and
///         endpoint (none -> 503 UH), and send the selected mirrors their copies.
/// Step 3: per attempt (Forward.cs), claim a circuit-breaker request slot and lease through the endpoint's pool: an
///         idle connection (MRU), a new one, or wait as pending (503 UO on overflow, 503 UF on connect failure).
/// Step 4: write the rewritten head (path and Host rewrites, hop-by-hop removed, x-forwarded-*, x-request-id, header
///         edits, x-envoy-attempt-count) and stream the body (or send it from the buffer a mirror or a retry needed).
/// Step 5: read the response head; a reused connection that failed before any response byte is replayed once on a
///         fresh connection when nothing of the body was sent (the keep-alive race must not surface as 503 UC). A
///         failure or a retriable answer goes to the retry policy (Retry.cs), which may start another attempt on
///         another endpoint after a back-off; the route and per-try deadlines run meanwhile (Deadlines.cs).
/// Step 6: write the response head downstream (header edits, CORS fields, a hash policy's cookie) and stream the body
///         by its framing.
/// Step 7: return the upstream connection to its pool if the exchange ended cleanly; keep the downstream alive if
///         both sides allow.
/// </remarks>
internal sealed partial class Http1ProxyConnection : IConnectionHandler, IDisposable
{
    private readonly ITransportConnection _downstream;
    private readonly IHttpRouter _router;
    private readonly bool _https;
    private readonly int _localPort;
    private readonly ProxyContext _context;
    private readonly HttpRequestHead _request = new();
    private readonly ResponseHead _response = new();
    private readonly byte[] _clientAddress;
    private readonly byte[] _generatedRequestId = new byte[RequestId.Length];

    // Envoy's fault filter body (source/extensions/filters/http/fault/fault_filter.cc: "fault filter abort").
    private static readonly byte[] FaultAbortBody = "fault filter abort"u8.ToArray();

    // Drain wakes a connection waiting for its next request through this token, passed to that read only: unlike
    // CancelPendingRead, a cancellation that lands late cannot leak into the next read (a request body's).
    private readonly CancellationTokenSource _drain = new();
    private readonly CancellationTokenSource _aborted = new();
    private volatile bool _draining;
    private bool _requestIdGenerated;
    private bool _continueSent;
    private UpstreamConnection? _activeUpstream;

    // What the request in progress came to, for the request log (RequestRecord).
    private bool _recordPending;
    private volatile bool _locallyReset;
    private int _clientGoneFlag;
    private int _watchingFlag;
    private int _statusCode;
    private ResponseFlags _flags;
    private string? _routeName;
    private EndpointState? _lastEndpoint;
    private string? _upstreamCluster;
    private System.Net.IPEndPoint? _upstreamLocalAddress;
    private ResponseCodeDetail _detail;
    private long _startTimestamp;
    private long _bytesReceived;
    private long _bytesSent;
    private readonly string? _serverName;

    // Downstream deadlines, checked by the heartbeat (no timer per connection, nothing allocated per request). The
    // phase moves by compare-and-swap so exactly one side wins: the request loop entering the next phase, or the
    // heartbeat declaring the phase timed out (it then wakes the head read, which reports it).
    private const int PhaseIdle = 0;
    private const int PhaseHead = 1;
    private const int PhaseActive = 2;
    private const int PhaseIdleTimedOut = 3;
    private const int PhaseHeadTimedOut = 4;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeSpan _requestHeadersTimeout;
    private int _phase;
    private long _phaseStartedAt;

    /// <param name="downstream">The client connection (plaintext socket, or TLS after termination).</param>
    /// <param name="router">The route table of the listener or TLS filter chain that accepted it.</param>
    /// <param name="https">Whether the client connected over TLS (x-forwarded-proto, scheme matches).</param>
    /// <param name="localPort">The listener's port (port matches).</param>
    /// <param name="listener">The listener's settings (request-headers and idle timeouts).</param>
    /// <param name="context">What every connection of the server shares.</param>
    /// <param name="serverName">The SNI the client sent over TLS, or null (the access log's requested server name).</param>
    public Http1ProxyConnection(ITransportConnection downstream, IHttpRouter router, bool https, int localPort, ListenerConfig listener, ProxyContext context, string? serverName = null)
    {
        _serverName = serverName;
        _idleTimeout = listener.IdleTimeout;
        _requestHeadersTimeout = listener.RequestHeadersTimeout;
        _phaseStartedAt = context.TimeProvider.GetTimestamp();
        _downstream = downstream;
        _router = router;
        _https = https;
        _localPort = localPort;
        _context = context;
        var remote = downstream.RemoteEndPoint?.Address;
        if (remote is { IsIPv4MappedToIPv6: true })
        {
            remote = remote.MapToIPv4();
        }

        _clientAddress = Encoding.ASCII.GetBytes(remote?.ToString() ?? "unknown");
    }

    /// <summary>Asks the connection to close after its current request (graceful drain).</summary>
    public void Drain()
    {
        _draining = true;
        try
        {
            _drain.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
    }

    /// <summary>Closes the upstream exchange in progress, if any, and wakes every wait (the owner aborts the
    /// downstream transport).</summary>
    public void Abort()
    {
        _locallyReset = true;
        Interlocked.Exchange(ref _activeUpstream, null)?.Abort();
        try
        {
            _aborted.Cancel();
            CancelRequestWaits();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void OnHeartbeat(long now)
    {
        // The downstream deadlines between requests; a request's own deadlines run on its timer (Deadlines.cs).
        var phase = Volatile.Read(ref _phase);
        if (phase is not (PhaseIdle or PhaseHead))
        {
            return;
        }

        var timeout = phase == PhaseIdle ? _idleTimeout : _requestHeadersTimeout;
        if (IsEnabled(timeout)
            && _context.TimeProvider.GetElapsedTime(Volatile.Read(ref _phaseStartedAt), now) >= timeout
            && Interlocked.CompareExchange(ref _phase, phase + 3, phase) == phase)
        {
            Interlocked.Increment(ref phase == PhaseIdle ? ref _context.Statistics.HttpIdleTimeouts : ref _context.Statistics.HttpRequestHeaderTimeouts);
            _downstream.Input.CancelPendingRead();
        }
    }

    /// <summary>Whether the client closed or reset its connection, or the server aborted it.</summary>
    private bool ClientGone => ClientLeft || _downstream.IsAborted;

    /// <summary>
    /// From the moment a request is wholly received until its exchange ends, the client's end of stream means it went
    /// away: as Envoy's connection manager (no HTTP half-close), the attempt in flight is reset and every wait ends, so
    /// an upstream connection is not held for a client that will never read the answer (flag DC).
    /// </summary>
    private void WatchClient()
    {
        // Each side writes its flag, then reads the other's; the full fences make sure at least one sees both.
        Interlocked.Exchange(ref _watchingFlag, 1);
        if (Volatile.Read(ref _clientGoneFlag) != 0)
        {
            OnClientGone();
        }
    }

    private void OnClientGone()
    {
        Interlocked.Exchange(ref _clientGoneFlag, 1);
        if (Volatile.Read(ref _watchingFlag) != 0)
        {
            Interlocked.Exchange(ref _activeUpstream, null)?.Abort();
            CancelRequestWaits();
        }
    }

    private bool ClientLeft => Volatile.Read(ref _clientGoneFlag) != 0;

    private bool WatchingClient
    {
        get => Volatile.Read(ref _watchingFlag) != 0;
        set => Volatile.Write(ref _watchingFlag, value ? 1 : 0);
    }

    private static bool IsEnabled(TimeSpan timeout) => timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan;

    /// <summary>Serves requests until either side closes or the connection drains. The owner closes the transport.</summary>
    public async Task RunAsync()
    {
        _downstream.OnReceiveEnded(static state => ((Http1ProxyConnection)state!).OnClientGone(), this);
        try
        {
            while (!_draining && await ProcessRequestAsync().ConfigureAwait(false))
            {
                CompleteRecord();
            }
        }
        finally
        {
            CompleteRecord();
            Dispose();
        }
    }

    /// <summary>Hands the finished request's record to the request log and the access log, if they listen.</summary>
    private void CompleteRecord()
    {
        if (!_recordPending)
        {
            return;
        }

        _recordPending = false;
        var log = _context.Options.RequestLog;
        IRequestLogSink? accessLog = _context.Options.AccessLog;
        if (log is null && accessLog is null)
        {
            return;
        }

        if (_locallyReset)
        {
            // The server cut the request off (stop deadline): Envoy's local reset, not the client's doing.
            _flags = (_flags & ~ResponseFlags.DownstreamConnectionTermination) | ResponseFlags.LocalReset;
        }
        else if (_statusCode == 0 && ClientGone)
        {
            _flags |= ResponseFlags.DownstreamConnectionTermination;
            _detail = ResponseCodeDetail.DownstreamDisconnect;
        }

        var record = new RequestRecord(_statusCode, _flags, _routeName, _lastEndpoint, _attempts);
        var fields = CaptureLogFields();
        log?.OnRequestCompleted(record, fields);
        accessLog?.OnRequestCompleted(record, fields);
    }

    /// <summary>The access-log view of the finished request: spans into the request head, valid until the next one.</summary>
    private RequestLogFields CaptureLogFields()
    {
        var time = _context.TimeProvider;
        var duration = time.GetElapsedTime(_startTimestamp);
        ReadOnlySpan<byte> requestId = default;
        if (!_request.TryGetHeader("x-request-id"u8, out requestId) || requestId.IsEmpty)
        {
            // Envoy's connection manager gives every request an id at the edge, routed or not.
            if (!_requestIdGenerated)
            {
                RequestId.Write(_generatedRequestId);
                _requestIdGenerated = true;
            }

            requestId = _generatedRequestId;
        }

        _request.TryGetHeader("x-forwarded-for"u8, out var forwardedFor);
        _request.TryGetHeader("user-agent"u8, out var userAgent);
        return new RequestLogFields
        {
            StartTime = time.GetUtcNow() - duration,
            Duration = duration,
            Method = _request.MethodToken,
            Path = _request.Path,
            Query = _request.Query,
            Version = _request.Version,
            Detail = _detail,
            BytesReceived = Volatile.Read(ref _bytesReceived),
            BytesSent = _bytesSent,
            ForwardedFor = forwardedFor,
            ClientAddress = _clientAddress,
            UserAgent = userAgent,
            RequestId = requestId,
            Authority = _request.Authority,
            UpstreamCluster = _upstreamCluster,
            UpstreamLocalAddress = _upstreamLocalAddress,
            DownstreamLocalAddress = _downstream.LocalEndPoint,
            DownstreamRemoteAddress = _downstream.RemoteEndPoint,
            RequestedServerName = _serverName,
        };
    }

    public void Dispose()
    {
        _drain.Dispose();
        _aborted.Dispose();
        DisposeDeadlines();
    }

    /// <summary>Serves one request; returns whether the connection stays open for another.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ProcessRequestAsync()
    {
        var input = _downstream.Input;
        var output = _downstream.Output;

        // Step 1: read and parse the request head. Until its first byte the idle timeout runs, then the request-headers
        // timeout (both from the heartbeat, which wakes this read when one expires).
        Volatile.Write(ref _phaseStartedAt, _context.TimeProvider.GetTimestamp());
        if (Interlocked.CompareExchange(ref _phase, PhaseIdle, PhaseActive) is not (PhaseActive or PhaseIdle))
        {
            return false;
        }

        HttpHeadInfo info;
        while (true)
        {
            if (_draining)
            {
                return false;
            }

            ReadResult read;
            try
            {
                read = await input.ReadAsync(_drain.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            var buffer = read.Buffer;
            var phase = Volatile.Read(ref _phase);
            if (phase == PhaseIdleTimedOut)
            {
                // Envoy closes an HTTP/1 connection idle past its timeout without a reply.
                input.AdvanceTo(buffer.Start);
                return false;
            }

            if (phase == PhaseHeadTimedOut)
            {
                input.AdvanceTo(buffer.End);
                BeginRecord();
                _statusCode = 408;
                _detail = ResponseCodeDetail.RequestHeaderTimeout;
                LocalReplies.WriteBadRequest(output, 408);
                await output.FlushAsync().ConfigureAwait(false);
                return false;
            }

            if (read.IsCanceled)
            {
                // A cancellation meant for an earlier request's body copy that landed after it finished.
                input.AdvanceTo(buffer.Start);
                continue;
            }

            if (phase == PhaseIdle && !buffer.IsEmpty)
            {
                // The first byte of a request: the request-headers timeout starts (Envoy: when the stream is created).
                Volatile.Write(ref _phaseStartedAt, _context.TimeProvider.GetTimestamp());
                if (Interlocked.CompareExchange(ref _phase, PhaseHead, PhaseIdle) != PhaseIdle)
                {
                    input.AdvanceTo(buffer.Start);
                    continue; // the idle timeout won the race; the next read reports it
                }
            }

            if (TryParseRequestHead(buffer, out var consumed, out info, out var rejectStatus))
            {
                if (Interlocked.CompareExchange(ref _phase, PhaseActive, PhaseHead) != PhaseHead)
                {
                    input.AdvanceTo(buffer.Start);
                    continue; // the request-headers timeout won the race; the next read reports it
                }

                input.AdvanceTo(consumed);
                break;
            }

            if (rejectStatus != 0)
            {
                input.AdvanceTo(buffer.End);
                BeginRecord();
                _statusCode = rejectStatus;
                _flags = ResponseFlags.DownstreamProtocolError;
                _detail = ResponseCodeDetail.CodecError;
                LocalReplies.WriteBadRequest(output, rejectStatus);
                await output.FlushAsync().ConfigureAwait(false);
                return false;
            }

            if (read.IsCompleted)
            {
                // Clean close between requests, or the client gave up mid-head: nothing to answer.
                input.AdvanceTo(buffer.End);
                return false;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }

        _requestIdGenerated = false;
        _continueSent = false;
        BeginRecord();
        ResetActions();
        _request.Scheme = _https ? "https" : "http";
        _request.LocalPort = _localPort;
        var hasBody = info.IsChunked || info.ContentLength > 0;
        var clientKeepAlive = info.Version == Http1Version.Http11
            ? (info.Connection & ConnectionOptions.Close) == 0
            : (info.Connection & ConnectionOptions.KeepAlive) != 0;

        // Step 2: route. CONNECT tunnels are not configured by any route (Envoy: no route matches without a
        // connect_matcher), so they get 404 NR and the connection closes.
        if (_request.Method == Http1Method.Connect)
        {
            return await ReplyLocallyAsync(ProxyOutcome.NoRoute, keepAlive: false).ConfigureAwait(false);
        }

        var route = _router.Route(_request);
        if (route is null)
        {
            return await ReplyLocallyAsync(ProxyOutcome.NoRoute, clientKeepAlive && !hasBody).ConfigureAwait(false);
        }

        _routeName = route.Name;
        if (route.HttpsRedirect)
        {
            _statusCode = 301;
            _detail = ResponseCodeDetail.DirectResponse;
            var keepAlive = clientKeepAlive && !hasBody && !_draining;
            LocalReplies.WriteHttpsRedirect(_downstream.Output, _request, close: !keepAlive);
            var flush = await _downstream.Output.FlushAsync().ConfigureAwait(false);
            return keepAlive && !flush.IsCompleted;
        }

        // Step 2a: the route's actions in Envoy's filter order: CORS, fault (delay, then abort), then the route's own
        // answer (redirect, direct response) or forwarding. A local answer leaves an unread body behind: close then.
        var actions = route.Actions;
        var localKeepAlive = clientKeepAlive && !hasBody;
        if (actions.Cors is { } cors && ApplyCors(cors, localKeepAlive && !_draining))
        {
            _detail = ResponseCodeDetail.CorsResponse;
            return await FlushLocalReplyAsync(localKeepAlive).ConfigureAwait(false);
        }

        if (route.Fault is { } fault)
        {
            if (fault.Delay is { } delay && Roll(fault.DelayPercentage))
            {
                _flags |= ResponseFlags.DelayInjected;
                if (!await DelayAsync(delay).ConfigureAwait(false))
                {
                    return false;
                }
            }

            if (fault.AbortStatusCode is { } abortStatus && Roll(fault.AbortPercentage))
            {
                _flags |= ResponseFlags.FaultInjected;
                Interlocked.Increment(ref _context.Statistics.FaultAbortsInjected);
                _detail = ResponseCodeDetail.FaultAbort;
                WriteLocalReply(abortStatus, null, null, FaultAbortBody, localKeepAlive && !_draining);
                return await FlushLocalReplyAsync(localKeepAlive).ConfigureAwait(false);
            }
        }

        if (actions.Redirect is { } redirect)
        {
            _detail = ResponseCodeDetail.DirectResponse;
            WriteLocalReply(redirect.StatusCode, redirect, actions.LocalResponseEdit, default, localKeepAlive && !_draining);
            return await FlushLocalReplyAsync(localKeepAlive).ConfigureAwait(false);
        }

        if (route.DirectResponse is { } direct)
        {
            _detail = ResponseCodeDetail.DirectResponse;
            WriteLocalReply(direct.StatusCode, null, actions.LocalResponseEdit, direct.Body.Span, localKeepAlive && !_draining);
            return await FlushLocalReplyAsync(localKeepAlive).ConfigureAwait(false);
        }

        var destination = route.PickDestination();
        var cluster = destination?.Cluster.State;
        var pick = cluster?.PickEndpoint(new LoadBalancerContext(_request, _downstream.RemoteEndPoint, _downstream.LocalEndPoint)) ?? default;
        var endpoint = pick.Endpoint;
        _upstreamCluster = cluster?.Config.Name;
        if (cluster is null || endpoint is null)
        {
            return await ReplyLocallyAsync(ProxyOutcome.NoHealthyUpstream, localKeepAlive).ConfigureAwait(false);
        }

        // Step 2b: what forwarding edits: the destination's and the route's header edits, the rewrites, a cookie a hash
        // policy issued. Then the mirrors, which may read a small body first.
        _requestEdit = actions.RequestEdit(destination!);
        _responseEdit = actions.ResponseEdit(destination!);
        _pathRewrite = route.PathRewrite;
        _authorityRewrite = actions.AuthorityRewriteFor(destination!);
        _setCookie = pick.SetCookie;
        try
        {
            if (actions.Mirrors.Length > 0 && SelectMirrors(actions.Mirrors) is var mirrors && mirrors != 0)
            {
                var upgrade = info.HasUpgrade && (info.Connection & ConnectionOptions.Upgrade) != 0;
                if (!await SendMirrorsAsync(actions.Mirrors, mirrors, info, upgrade).ConfigureAwait(false))
                {
                    return false;
                }

                // A body read for the mirrors is forwarded from the buffer: nothing of it is left on the connection.
                hasBody &= _bufferedBody is null;
            }

            // A body small enough to keep is read whole first when a retry could resend it after it went out (a
            // connect failure needs no copy: nothing of a streamed body is read before the connection is made).
            ResetRetryState(route.Retry);
            if (hasBody && _retry is { } retry && CanRetryAfterSending(retry) && !info.IsChunked
                && info.ContentLength <= MirrorDispatcher.MaxBufferedBody)
            {
                if (!await BufferRequestBodyAsync(info).ConfigureAwait(false))
                {
                    return false;
                }

                _continueSent = info.ExpectContinue;
                hasBody = false;
            }

            BeginDeadlines(route.Timeout ?? TimeSpan.Zero, _retry?.PerTryTimeout ?? TimeSpan.Zero);
            try
            {
                return await ForwardAsync(cluster, endpoint, info, hasBody, clientKeepAlive).ConfigureAwait(false);
            }
            finally
            {
                EndDeadlines();
                Volatile.Write(ref _activeUpstream, null);
            }
        }
        finally
        {
            ReturnBufferedBody();
        }
    }

    private bool TryParseRequestHead(in ReadOnlySequence<byte> buffer, out SequencePosition consumed, out HttpHeadInfo info, out int rejectStatus)
    {
        var reader = new SequenceReader<byte>(buffer);
        var handler = new RequestHeadHandler(_request);
        _request.Reset();
        rejectStatus = 0;
        try
        {
            if (_context.Parser.TryParseRequestHead(ref reader, ref handler, out info))
            {
                _request.Complete();
                consumed = reader.Position;
                return true;
            }
        }
        catch (Http1ParseException ex)
        {
            Log.RequestRejected(_context.Logger, ex.StatusCode, ex.Error);
            rejectStatus = ex.StatusCode;
            info = default;
        }

        consumed = buffer.Start;
        return false;
    }

    /// <summary>Flushes a reply the route answered itself; the connection stays open when the request left nothing
    /// unread, the client allows it and the server is not draining.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FlushLocalReplyAsync(bool keepAlive)
    {
        var flush = await _downstream.Output.FlushAsync().ConfigureAwait(false);
        return keepAlive && !_draining && !flush.IsCompleted;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReplyLocallyAsync(ProxyOutcome outcome, bool keepAlive)
    {
        _statusCode = LocalReplies.StatusCode(outcome);
        _flags |= LocalReplies.Flag(outcome);
        _detail = ResponseCodeDetailNames.For(outcome);
        _bytesSent = LocalReplies.BodyLength(outcome);
        // A request whose body we did not read leaves the connection unsynchronised: close it.
        keepAlive &= !_draining;
        LocalReplies.Write(_downstream.Output, outcome, close: !keepAlive);
        var flush = await _downstream.Output.FlushAsync().ConfigureAwait(false);
        return keepAlive && !flush.IsCompleted;
    }

    private void BeginRecord()
    {
        CompleteRecord();
        _recordPending = true;
        _statusCode = 0;
        _flags = ResponseFlags.None;
        _routeName = null;
        _lastEndpoint = null;
        _upstreamCluster = null;
        _upstreamLocalAddress = null;
        _detail = ResponseCodeDetail.None;
        _startTimestamp = Volatile.Read(ref _phaseStartedAt);
        _bytesReceived = 0;
        _bytesSent = 0;
        _attempts = 0;
        _retry = null;
    }

    /// <summary>Whether the policy could retry a request after it was sent (so its body is worth keeping).</summary>
    private bool CanRetryAfterSending(RetryPolicy policy)
        => (policy.RetryNonIdempotent || IsIdempotent(_request.Method)) && (policy.RetryOn & ~RetryConditions.ConnectFailure) != 0;

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Request rejected with {StatusCode}: {Error}")]
        public static partial void RequestRejected(ILogger logger, int statusCode, Http1ParseError error);

        [LoggerMessage(3, LogLevel.Debug, "Connect to {Endpoint} failed: {Error}")]
        public static partial void ConnectFailed(ILogger logger, EndpointState endpoint, SocketError error);

        [LoggerMessage(4, LogLevel.Debug, "Reused connection to {Endpoint} failed before the response; retrying on a fresh connection")]
        public static partial void RetryingStaleConnection(ILogger logger, EndpointState endpoint);

        [LoggerMessage(5, LogLevel.Debug, "Attempt {Attempt} to {Endpoint} failed; retrying")]
        public static partial void Retrying(ILogger logger, int attempt, EndpointState endpoint);
    }
}
