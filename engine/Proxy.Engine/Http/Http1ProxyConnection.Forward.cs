using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using Proxy.Engine.Upstream;
using Proxy.Protocols.Http1;

namespace Proxy.Engine.Http;

internal sealed partial class Http1ProxyConnection
{
    private static ReadOnlySpan<byte> AttemptCountName => "x-envoy-attempt-count"u8;

    /// <summary>
    /// Steps 3 to 7 of the class remarks for one routed request: attempts under the route's retry policy, each to an
    /// endpoint of the same cluster, until one is answered or the policy says no more.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ForwardAsync(ClusterState cluster, EndpointState endpoint, HttpHeadInfo info, bool hasBody, bool clientKeepAlive)
    {
        if (!hasBody)
        {
            WatchClient();
        }

        try
        {
            while (true)
            {
                _attempts++;
                RememberTried(endpoint);
                var (retry, keepAlive) = await AttemptAsync(cluster, endpoint, info, hasBody, clientKeepAlive).ConfigureAwait(false);
                if (!retry)
                {
                    return keepAlive;
                }

                var policy = _retry!;
                Log.Retrying(_context.Logger, _attempts, endpoint);
                if (!await BackoffAsync(policy, _attempts).ConfigureAwait(false))
                {
                    _flags |= ResponseFlags.DownstreamConnectionTermination;
                    Interlocked.Increment(ref _context.Statistics.DownstreamDisconnectsCount);
                    return false;
                }

                if (RouteTimedOut)
                {
                    return await ReplyLocallyAsync(ProxyOutcome.UpstreamTimeout, clientKeepAlive && !hasBody).ConfigureAwait(false);
                }

                var next = PickRetryEndpoint(cluster, policy);
                if (next is null)
                {
                    return await ReplyLocallyAsync(ProxyOutcome.NoHealthyUpstream, clientKeepAlive && !hasBody).ConfigureAwait(false);
                }

                endpoint = next;
            }
        }
        finally
        {
            WatchingClient = false;
            ReleaseRetrySlot(cluster);
        }
    }

    /// <summary>
    /// One attempt: lease, send, read the answer. Returns Retry (nothing written to the client, the connection
    /// disposed) when the retry policy takes the failure; otherwise the exchange is finished here, and KeepAlive says
    /// whether the client connection stays open.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(bool Retry, bool KeepAlive)> AttemptAsync(ClusterState cluster, EndpointState endpoint, HttpHeadInfo info, bool hasBody, bool clientKeepAlive)
    {
        _lastEndpoint = endpoint;
        if (!cluster.TryStartRequest())
        {
            return (false, await ReplyLocallyAsync(ProxyOutcome.Overflow, clientKeepAlive && !hasBody).ConfigureAwait(false));
        }

        endpoint.OnRequestStarted();
        try
        {
            return await ExchangeAsync(cluster, endpoint, info, hasBody, clientKeepAlive).ConfigureAwait(false);
        }
        finally
        {
            endpoint.OnRequestFinished();
            cluster.FinishRequest();
            DisarmTryTimer();
            Volatile.Write(ref _activeUpstream, null);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(bool Retry, bool KeepAlive)> ExchangeAsync(ClusterState cluster, EndpointState endpoint, HttpHeadInfo info, bool hasBody, bool clientKeepAlive)
    {
        var staleRetried = false;
        var localKeepAlive = clientKeepAlive && !hasBody;

        while (true)
        {
            if (!hasBody)
            {
                // The whole request is in hand (no body, or one kept for the mirrors or for retries): the route timeout
                // starts now, connect included (Envoy starts it at the end of the downstream request).
                ArmRouteTimer();
            }

            // Step 3: lease an idle connection, most recently used first, or open one (circuit breakers permitting).
            // Replaying after the keep-alive race always connects anew.
            var lease = await endpoint.Pool.LeaseAsync(cluster, _context.Transport, fresh: staleRetried, RequestToken).ConfigureAwait(false);
            var upstream = lease.Connection;
            if (upstream is null)
            {
                if (RouteTimedOut)
                {
                    return (false, await ReplyLocallyAsync(ProxyOutcome.UpstreamTimeout, localKeepAlive).ConfigureAwait(false));
                }

                switch (lease.Failure)
                {
                    case LeaseFailure.Overflow:
                        return (false, await ReplyLocallyAsync(ProxyOutcome.Overflow, localKeepAlive).ConfigureAwait(false));
                    case LeaseFailure.Canceled:
                        _flags |= ResponseFlags.DownstreamConnectionTermination;
                        Interlocked.Increment(ref _context.Statistics.DownstreamDisconnectsCount);
                        return (false, false);
                }

                Log.ConnectFailed(_context.Logger, endpoint, lease.Error);
                endpoint.ReportLocalOrigin(LocalOriginResult.ConnectFailed);
                Interlocked.Increment(ref _context.Statistics.UpstreamConnectFailuresCount);

                // Nothing reached the upstream, and nothing of a streamed body was read yet: any request may be retried.
                if (ShouldRetry(cluster, RetryCause.ConnectFailure, 0, replayable: true))
                {
                    return (true, false);
                }

                return (false, await ReplyLocallyAsync(ProxyOutcome.ConnectFailure, localKeepAlive).ConfigureAwait(false));
            }

            // Envoy's onPoolReady reports a connection ready for every attempt, reused or new: split, that ends the
            // local-origin failure run.
            endpoint.ReportLocalOrigin(LocalOriginResult.ConnectSuccess);

            Interlocked.Exchange(ref _activeUpstream, upstream);
            _upstreamLocalAddress = upstream.Transport.LocalEndPoint;
            if (RouteTimedOut || (ClientLeft && WatchingClient) || _locallyReset)
            {
                // A deadline fired, or the client left, while we connected or leased, before either could see this
                // connection: nothing was sent on it, and it is not reused (Envoy resets the upstream request).
                upstream.Abort();
                await upstream.DisposeAsync().ConfigureAwait(false);
                if (!RouteTimedOut)
                {
                    _flags |= ResponseFlags.DownstreamConnectionTermination;
                    Interlocked.Increment(ref _context.Statistics.DownstreamDisconnectsCount);
                    return (false, false);
                }

                return (false, await ReplyLocallyAsync(ProxyOutcome.UpstreamTimeout, localKeepAlive).ConfigureAwait(false));
            }

            (AttemptEnd End, bool KeepAlive) result;
            try
            {
                result = await SendAndReceiveAsync(cluster, endpoint, upstream, info, hasBody, clientKeepAlive, staleRetried).ConfigureAwait(false);
            }
            catch
            {
                // Whatever went wrong, the connection and its circuit-breaker slot are not left behind.
                upstream.Abort();
                await upstream.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            if (result.End != AttemptEnd.Replay)
            {
                return (result.End == AttemptEnd.Retry, result.KeepAlive);
            }

            staleRetried = true;
        }
    }

    /// <summary>Steps 4 and 5 on a leased connection, then step 6 or a retry.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(AttemptEnd End, bool KeepAlive)> SendAndReceiveAsync(
        ClusterState cluster, EndpointState endpoint, UpstreamConnection upstream, HttpHeadInfo info, bool hasBody, bool clientKeepAlive, bool staleRetried)
    {
        var clientIsHttp10 = info.Version == Http1Version.Http10;
        var upgrade = info.HasUpgrade && (info.Connection & ConnectionOptions.Upgrade) != 0;
        var upstreamInput = upstream.Transport.Input;
        var upstreamOutput = upstream.Transport.Output;

        // Step 4: the rewritten head, then the body. A body not already buffered streams concurrently with
        // reading the response, so an upstream that answers early (413, 401) is not deadlocked.
        WriteUpstreamRequestHead(upstreamOutput, info, upgrade, endpoint);
        var requestBody = default(ValueTask<(BodyCopyResult Result, long Copied)>);
        var bodyPending = false;
        if (!hasBody)
        {
            if (_bufferedBody is { } buffered)
            {
                upstreamOutput.Write(buffered.AsSpan(0, _bufferedBodyLength));
            }

            await upstreamOutput.FlushAsync().ConfigureAwait(false);
            ArmTryTimer();
        }
        else
        {
            if (info.ExpectContinue && !clientIsHttp10 && !_continueSent)
            {
                _continueSent = true;
                // Envoy's default: the proxy answers 100-continue itself and does not forward Expect.
                LocalReplies.WriteContinue(_downstream.Output);
                await _downstream.Output.FlushAsync().ConfigureAwait(false);
            }

            requestBody = SendRequestBodyAsync(upstream, info);
            bodyPending = true;
        }

        // Step 5: the response head (interim 1xx handled here).
        HeadReadStatus status;
        HttpHeadInfo responseInfo;
        var sawInterim = false;
        while (true)
        {
            (status, responseInfo) = await ReadResponseHeadAsync(upstreamInput).ConfigureAwait(false);
            if (status != HeadReadStatus.Ok || responseInfo.StatusCode >= 200 || responseInfo.StatusCode == 101)
            {
                break;
            }

            // Any interim response proves the upstream has the request: from here on it must not be replayed.
            sawInterim = true;

            // 100 Continue was answered by us already; forward other interim responses (102, 103) to 1.1 clients.
            if (responseInfo.StatusCode != 100 && !clientIsHttp10)
            {
                // Envoy ignores a per-try timeout once the response has started; the route timeout still governs.
                _responseStarted = true;
                DisarmTryTimer();
                WriteDownstreamResponseHead(responseInfo, ResponseFraming.None, keepAlive: true, clientIsHttp10, upgrade: false, interim: true);
                await _downstream.Output.FlushAsync().ConfigureAwait(false);
            }
        }

        if (status != HeadReadStatus.Ok)
        {
            // Only the peer closing is the keep-alive race; our own abort (deadline, stop, client gone) is not.
            var closedByPeer = !upstream.Transport.IsAborted && !_downstream.IsAborted;
            var replayable = !bodyPending && !sawInterim;
            var bodyComplete = !hasBody;
            if (bodyPending)
            {
                _downstream.Input.CancelPendingRead();
                upstream.Abort();
                var body = await requestBody.ConfigureAwait(false);
                bodyComplete = body.Result == BodyCopyResult.Completed;

                // Nothing of the body left the downstream pipe (the copy was still waiting for it), so it can
                // be sent again. A chunked body may have consumed framing even when no data was copied.
                replayable = body.Result == BodyCopyResult.Canceled && body.Copied == 0 && !info.IsChunked && !sawInterim;
            }
            else
            {
                upstream.Abort();
            }

            await upstream.DisposeAsync().ConfigureAwait(false);
            var failureKeepAlive = clientKeepAlive && bodyComplete;
            if (RouteTimedOut)
            {
                // Envoy: 504 "upstream request timeout", flag UT; the upstream connection is not reused.
                endpoint.ReportLocalOrigin(LocalOriginResult.Timeout);
                return (AttemptEnd.Done, await ReplyLocallyAsync(ProxyOutcome.UpstreamTimeout, failureKeepAlive).ConfigureAwait(false));
            }

            if (ClientGone)
            {
                _flags |= ResponseFlags.DownstreamConnectionTermination;
                Interlocked.Increment(ref _context.Statistics.DownstreamDisconnectsCount);
                return (AttemptEnd.Done, false);
            }

            if (!DisarmTryTimer())
            {
                // The per-try timeout: counts as a 504 for the retry policy, and answers 504 UT once retries end.
                endpoint.ReportLocalOrigin(LocalOriginResult.Timeout);
                if (ShouldRetry(cluster, RetryCause.PerTryTimeout, 504, replayable))
                {
                    return (AttemptEnd.Retry, false);
                }

                return (AttemptEnd.Done, await ReplyLocallyAsync(ProxyOutcome.UpstreamTimeout, failureKeepAlive).ConfigureAwait(false));
            }

            // The keep-alive race: the upstream closed an idle connection just as we reused it. Nothing of the
            // response arrived and nothing of the body was consumed, so the request can be sent again safely. This
            // is a transport replay, not a retry of the policy.
            if (status == HeadReadStatus.ClosedBeforeAnyByte && upstream.IsReused && !staleRetried && replayable && closedByPeer)
            {
                Log.RetryingStaleConnection(_context.Logger, endpoint);
                return (AttemptEnd.Replay, false);
            }

            endpoint.ReportLocalOrigin(LocalOriginResult.Reset);
            var invalid = status == HeadReadStatus.Invalid;
            Interlocked.Increment(ref invalid ? ref _context.Statistics.UpstreamProtocolErrorsCount : ref _context.Statistics.UpstreamResetsCount);
            if (ShouldRetry(cluster, RetryCause.Reset, 0, replayable))
            {
                return (AttemptEnd.Retry, false);
            }

            return (AttemptEnd.Done, await ReplyLocallyAsync(invalid ? ProxyOutcome.UpstreamProtocolError : ProxyOutcome.UpstreamReset, failureKeepAlive).ConfigureAwait(false));
        }

        endpoint.ReportHttpStatus(responseInfo.StatusCode);
        if (responseInfo.StatusCode == 101)
        {
            // The upgraded connection is a tunnel with no response to complete: the deadlines end here, and the
            // client's end of stream is the tunnel's half-close, not a client gone.
            Volatile.Write(ref _tunneling, true);
            WatchingClient = false;
            DisarmTryTimer();
            DisarmRouteTimer();
            return (AttemptEnd.Done, await TunnelAsync(upstream, responseInfo, upgrade, clientIsHttp10, bodyPending ? requestBody : default).ConfigureAwait(false));
        }

        // A retriable answer is dropped unseen, with its connection (Envoy resets the upstream stream), if the
        // request can be sent again; once retries end, the last answer is the one forwarded.
        if (_retry is { } retry && (responseInfo.StatusCode >= 400 || retry.InspectsAnswersBelow400)
            && ShouldRetry(cluster, RetryCause.Response, responseInfo.StatusCode, replayable: !bodyPending && !sawInterim))
        {
            upstream.Abort();
            await upstream.DisposeAsync().ConfigureAwait(false);
            return (AttemptEnd.Retry, false);
        }

        return (AttemptEnd.Done, await ForwardResponseAsync(upstream, endpoint, responseInfo, clientKeepAlive, clientIsHttp10, bodyPending, requestBody).ConfigureAwait(false));
    }

    /// <summary>Steps 6 and 7: the response head and body, framed for this client, then both connections' fate.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ForwardResponseAsync(
        UpstreamConnection upstream, EndpointState endpoint, HttpHeadInfo responseInfo, bool clientKeepAlive, bool clientIsHttp10,
        bool bodyPending, ValueTask<(BodyCopyResult Result, long Copied)> requestBody)
    {
        var upstreamInput = upstream.Transport.Input;
        var noBody = _request.Method == Http1Method.Head || responseInfo.StatusCode is 204 or 304;
        var upstreamKeepAlive = responseInfo.Version == Http1Version.Http11
            ? (responseInfo.Connection & ConnectionOptions.Close) == 0
            : (responseInfo.Connection & ConnectionOptions.KeepAlive) != 0;
        ResponseFraming framing;
        if (noBody)
        {
            framing = ResponseFraming.None;
        }
        else if (responseInfo.IsChunked)
        {
            framing = clientIsHttp10 ? ResponseFraming.CloseDelimited : ResponseFraming.Chunked;
        }
        else if (responseInfo.ContentLength >= 0)
        {
            framing = ResponseFraming.ContentLength;
        }
        else
        {
            // Close-delimited upstream response (RFC 9112 6.3 rule 8): the connection ends with the body.
            upstreamKeepAlive = false;
            framing = clientIsHttp10 ? ResponseFraming.CloseDelimited : ResponseFraming.Chunked;
        }

        // A request body still in flight when the response starts will be cut short: say so in this response.
        var keepAlive = clientKeepAlive && !_draining && framing != ResponseFraming.CloseDelimited
            && (!bodyPending || requestBody.IsCompleted);
        // Envoy (UpstreamRequest::onPerTryTimeout) ignores a per-try timeout once the response has started downstream:
        // from here only the route timeout can cut it.
        _responseStarted = true;
        DisarmTryTimer();
        _statusCode = responseInfo.StatusCode;
        _detail = ResponseCodeDetail.ViaUpstream;
        WriteDownstreamResponseHead(responseInfo, framing, keepAlive, clientIsHttp10, upgrade: false);

        var downstreamOutput = _downstream.Output;
        BodyCopyResult responseResult;
        if (noBody)
        {
            var flush = await downstreamOutput.FlushAsync().ConfigureAwait(false);
            responseResult = flush.IsCompleted ? BodyCopyResult.DestinationClosed : BodyCopyResult.Completed;
        }
        else if (responseInfo.IsChunked)
        {
            (responseResult, _bytesSent) = await BodyCopier.CopyChunkedAsync(upstreamInput, downstreamOutput, framing == ResponseFraming.Chunked, _context.Parser.Limits).ConfigureAwait(false);
        }
        else if (responseInfo.ContentLength >= 0)
        {
            (responseResult, _bytesSent) = await BodyCopier.CopyFixedAsync(upstreamInput, downstreamOutput, responseInfo.ContentLength).ConfigureAwait(false);
        }
        else
        {
            (responseResult, _bytesSent) = await BodyCopier.CopyToEndAsync(upstreamInput, downstreamOutput, framing == ResponseFraming.Chunked).ConfigureAwait(false);
            if (responseResult == BodyCopyResult.Completed)
            {
                // The end of a close-delimited body is the connection's end: only a clean FIN completes it. A reset
                // truncated it, and the client must see a broken connection, not a complete body.
                responseResult = upstream.Transport.ReceiveError == System.Net.Sockets.SocketError.Success
                    ? await BodyCopier.EndBodyAsync(downstreamOutput, framing == ResponseFraming.Chunked).ConfigureAwait(false)
                    : BodyCopyResult.SourceEnded;
            }
        }

        // Step 7: settle the request body, then decide both connections' fate.
        if (bodyPending)
        {
            if (!requestBody.IsCompleted)
            {
                // The upstream answered before taking the whole body: it cannot be reused, and the client's
                // remaining body bytes leave the downstream unsynchronised.
                _downstream.Input.CancelPendingRead();
                upstream.Abort();
                keepAlive = false;
            }

            var (bodyResult, _) = await requestBody.ConfigureAwait(false);
            if (bodyResult != BodyCopyResult.Completed)
            {
                upstreamKeepAlive = false;
                keepAlive = false;
            }
        }

        if (responseResult != BodyCopyResult.Completed)
        {
            // Mid-body failure: the client cannot be told except by closing its connection.
            if (responseResult == BodyCopyResult.DestinationClosed || ClientGone)
            {
                _flags |= ResponseFlags.DownstreamConnectionTermination;
                Interlocked.Increment(ref _context.Statistics.DownstreamDisconnectsCount);
            }
            else
            {
                // The upstream broke off (or a deadline cut it): Envoy resets the downstream stream.
                _flags |= RouteTimedOut || TryTimedOut ? ResponseFlags.UpstreamRequestTimeout : ResponseFlags.UpstreamConnectionTermination;
                Interlocked.Increment(ref _context.Statistics.UpstreamResponsesIncomplete);
            }

            upstream.Abort();
            await upstream.DisposeAsync().ConfigureAwait(false);
            _downstream.Abort();
            return false;
        }

        // A deadline that fired after the last byte left the response whole, but may have aborted the upstream: it
        // must not go back to the pool.
        // Whoever takes the connection out of _activeUpstream owns its fate: a departing client or a stop that took it
        // has aborted it, and it must not reach the pool (where another request could lease it first).
        var inTime = DisarmTryTimer() & DisarmRouteTimer();
        var owned = ReferenceEquals(Interlocked.Exchange(ref _activeUpstream, null), upstream);
        if (upstreamKeepAlive && inTime && owned && !upstream.Transport.IsAborted)
        {
            endpoint.Pool.Return(upstream, _context.TimeProvider.GetTimestamp());
        }
        else
        {
            await upstream.DisposeAsync().ConfigureAwait(false);
        }

        return keepAlive;
    }

    /// <summary>
    /// Streams the request body upstream. If the client goes away or sends broken framing, the upstream exchange
    /// cannot complete: abort it so the response read waiting on it ends too.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(BodyCopyResult Result, long Copied)> SendRequestBodyAsync(UpstreamConnection upstream, HttpHeadInfo info)
    {
        var result = info.IsChunked
            ? await BodyCopier.CopyChunkedAsync(_downstream.Input, upstream.Transport.Output, encodeChunked: true, _context.Parser.Limits).ConfigureAwait(false)
            : await BodyCopier.CopyFixedAsync(_downstream.Input, upstream.Transport.Output, info.ContentLength).ConfigureAwait(false);
        Volatile.Write(ref _bytesReceived, result.Copied);
        if (result.Result is BodyCopyResult.SourceEnded or BodyCopyResult.InvalidFraming)
        {
            upstream.Abort();
        }
        else if (result.Result == BodyCopyResult.Completed && !Volatile.Read(ref _tunneling))
        {
            // The whole request is sent: the deadlines start (the per-try one only if no response has started), and
            // the client's end of stream now means it left. Not for an upgraded connection, which is a tunnel by now.
            ArmRouteTimer();
            if (!Volatile.Read(ref _responseStarted))
            {
                ArmTryTimer();
            }

            WatchClient();
        }

        return result;
    }

    private async ValueTask<bool> TunnelAsync(
        UpstreamConnection upstream, HttpHeadInfo responseInfo, bool upgrade, bool clientIsHttp10, ValueTask<(BodyCopyResult Result, long Copied)> requestBody)
    {
        if (!upgrade)
        {
            // 101 without our asking: the upstream broke the protocol.
            upstream.Abort();
            await upstream.DisposeAsync().ConfigureAwait(false);
            return await ReplyLocallyAsync(ProxyOutcome.UpstreamProtocolError, keepAlive: false).ConfigureAwait(false);
        }

        await requestBody.ConfigureAwait(false);
        WriteDownstreamResponseHead(responseInfo, ResponseFraming.None, keepAlive: true, clientIsHttp10, upgrade: true);
        await _downstream.Output.FlushAsync().ConfigureAwait(false);

        // After 101 both connections carry opaque bytes: pump each way until both directions end.
        var up = BodyCopier.TunnelAsync(_downstream.Input, upstream.Transport.Output);
        var down = BodyCopier.TunnelAsync(upstream.Transport.Input, _downstream.Output);
        await Task.WhenAll(up, down).ConfigureAwait(false);
        await upstream.DisposeAsync().ConfigureAwait(false);
        return false;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(HeadReadStatus Status, HttpHeadInfo Info)> ReadResponseHeadAsync(PipeReader input)
    {
        var sawBytes = false;
        while (true)
        {
            var read = await input.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            if (read.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return (sawBytes ? HeadReadStatus.ClosedMidHead : HeadReadStatus.ClosedBeforeAnyByte, default);
            }

            sawBytes |= !buffer.IsEmpty;
            var status = TryParseResponseHead(buffer, out var consumed, out var info);
            if (status == HeadReadStatus.Ok)
            {
                input.AdvanceTo(consumed);
                return (status, info);
            }

            if (status == HeadReadStatus.Invalid)
            {
                input.AdvanceTo(buffer.End);
                return (status, default);
            }

            if (read.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                return (sawBytes ? HeadReadStatus.ClosedMidHead : HeadReadStatus.ClosedBeforeAnyByte, default);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private HeadReadStatus TryParseResponseHead(in ReadOnlySequence<byte> buffer, out SequencePosition consumed, out HttpHeadInfo info)
    {
        var reader = new SequenceReader<byte>(buffer);
        var handler = new ResponseHeadHandler(_response);
        _response.Reset();
        consumed = buffer.Start;
        try
        {
            if (_context.Parser.TryParseResponseHead(ref reader, ref handler, out info))
            {
                consumed = reader.Position;
                return HeadReadStatus.Ok;
            }

            return HeadReadStatus.Incomplete;
        }
        catch (Http1ParseException)
        {
            info = default;
            return HeadReadStatus.Invalid;
        }
    }

    /// <summary>
    /// Writes the request head for the upstream (or, with <paramref name="mirror"/>, for a mirror copy): origin-form
    /// target with the normalised path and the route's path rewrite, HTTP/1.1, hop-by-hop fields removed (RFC 9110 7.6.1: Connection and the
    /// fields it names, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade unless upgrading; Expect,
    /// since we answer 100-continue ourselves), Host (rewritten, or with the <c>-shadow</c> suffix for a mirror), then
    /// x-forwarded-for (appended), x-forwarded-proto (set) and x-request-id (kept, else generated), as an Istio
    /// gateway's Envoy does, and last the header edits. Edits see the fields Envoy's connection manager adds before its
    /// router applies them, so they can remove or set x-forwarded-* and x-request-id too.
    /// </summary>
    private void WriteUpstreamRequestHead(IBufferWriter<byte> output, in HttpHeadInfo info, bool upgrade, EndpointState endpoint, bool mirror = false)
    {
        var request = _request;
        var edit = _requestEdit;
        var authorityRewrite = _authorityRewrite;
        var writer = new HeadWriter(output);
        writer.Write(request.MethodToken);
        writer.WriteByte((byte)' ');
        var target = request.Target;
        var absoluteForm = target.Length > 0 && target[0] != (byte)'/' && target[0] != (byte)'*';
        if (_pathRewrite is { } rewrite && request.Path is [(byte)'/', ..])
        {
            WriteRewrittenPath(ref writer, rewrite, request.Path);
            if (request.Query.Length > 0)
            {
                writer.WriteByte((byte)'?');
                writer.Write(request.Query);
            }
        }
        else if (absoluteForm)
        {
            // RFC 9112 3.2.4: an absolute-form OPTIONS with an empty path is forwarded as "*".
            writer.Write(request.HasEmptyAbsolutePath && request.Method == Http1Method.Options && request.Query.Length == 0 ? "*"u8 : request.Path);
            if (request.Query.Length > 0)
            {
                writer.WriteByte((byte)'?');
                writer.Write(request.Query);
            }
        }
        else if (request.PathNormalized)
        {
            // Envoy forwards the :path it normalised; the query goes on as sent, its '?' included even when empty.
            writer.Write(request.Path);
            var queryStart = target.IndexOf((byte)'?');
            if (queryStart >= 0)
            {
                writer.Write(target[queryStart..]);
            }
        }
        else
        {
            writer.Write(target);
        }

        writer.Write(" HTTP/1.1\r\n"u8);

        var replaceHost = absoluteForm || authorityRewrite is not null || mirror;
        var nominated = (info.Connection & ConnectionOptions.Other) != 0;
        var sawRequestId = false;
        var forwardedFor = 0;
        var count = request.HeaderCount;
        for (var i = 0; i < count; i++)
        {
            var known = request.GetKnownHeader(i);
            if (IsHopByHop(known, upgrade))
            {
                continue;
            }

            switch (known)
            {
                case KnownHeader.Expect:
                case KnownHeader.XForwardedProto:
                    continue;
                case KnownHeader.Host when replaceHost:
                    continue;
                case KnownHeader.XForwardedFor:
                    forwardedFor++;
                    continue;
                case KnownHeader.XRequestId:
                    sawRequestId = true;
                    break;
                case KnownHeader.None when nominated && IsNominatedByRequestConnection(request.GetHeaderName(i)):
                    continue;
            }

            var name = request.GetHeaderName(i);
            if (name.Length == AttemptCountName.Length && Ascii.EqualsIgnoreCase(name, AttemptCountName) && !mirror)
            {
                continue;
            }

            if (edit is not null && edit.Drops(name))
            {
                continue;
            }

            writer.WriteHeader(name, request.GetHeaderValue(i));
        }

        if (replaceHost || request.HostFieldCount == 0)
        {
            var host = authorityRewrite ?? (request.Authority.Length > 0 ? request.Authority : endpoint.Authority);
            if (mirror)
            {
                WriteShadowHost(ref writer, host);
            }
            else
            {
                writer.WriteHeader("host"u8, host);
            }
        }

        if (edit is null || !edit.Drops("x-forwarded-for"u8))
        {
            writer.Write("x-forwarded-for: "u8);
            if (forwardedFor > 0)
            {
                for (var i = 0; i < count; i++)
                {
                    if (request.GetKnownHeader(i) == KnownHeader.XForwardedFor)
                    {
                        writer.Write(request.GetHeaderValue(i));
                        writer.Write(", "u8);
                    }
                }
            }

            writer.Write(_clientAddress);
            writer.Write("\r\n"u8);
        }

        if (edit is null || !edit.Drops("x-forwarded-proto"u8))
        {
            writer.Write(_https ? "x-forwarded-proto: https\r\n"u8 : "x-forwarded-proto: http\r\n"u8);
        }

        if (!sawRequestId && (edit is null || !edit.Drops("x-request-id"u8)))
        {
            // Generated once per request, so a retried attempt and every mirror copy carry the same id.
            if (!_requestIdGenerated)
            {
                RequestId.Write(_generatedRequestId);
                _requestIdGenerated = true;
            }

            writer.WriteHeader("x-request-id"u8, _generatedRequestId);
        }

        if (edit is not null)
        {
            foreach (var line in edit.Lines)
            {
                writer.Write(line.Line);
            }
        }

        if (!mirror)
        {
            // Istio sets include_request_attempt_count on every gateway virtual host: 1 for the first attempt, 2 for
            // the first retry, ...; a value the client sent is replaced.
            writer.Write(AttemptCountName);
            writer.Write(": "u8);
            writer.WriteNumber(_attempts);
            writer.Write("\r\n"u8);
        }

        if (info.IsChunked)
        {
            writer.Write("transfer-encoding: chunked\r\n"u8);
        }

        if (upgrade)
        {
            writer.Write("connection: upgrade\r\n"u8);
        }

        writer.Write("\r\n"u8);
        writer.Commit();
    }

    /// <summary>
    /// Writes the response head for the client: the upstream's fields less hop-by-hop ones, then (final responses only)
    /// the header edits, the CORS fields (which replace the upstream's, as Envoy's CORS filter sets them after the
    /// router's edits) and a hash policy's new cookie, then our framing.
    /// </summary>
    private void WriteDownstreamResponseHead(in HttpHeadInfo info, ResponseFraming framing, bool keepAlive, bool clientIsHttp10, bool upgrade, bool interim = false)
    {
        var response = _response;
        var edit = interim ? null : _responseEdit;
        var cors = interim ? null : _cors;
        var writer = new HeadWriter(_downstream.Output);
        writer.Write("HTTP/1.1 "u8);
        writer.WriteNumber(response.StatusCode);
        writer.WriteByte((byte)' ');
        writer.Write(response.ReasonPhrase);
        writer.Write("\r\n"u8);

        var nominated = (info.Connection & ConnectionOptions.Other) != 0;
        var count = response.FieldCount;
        for (var i = 0; i < count; i++)
        {
            var known = response.GetKnown(i);
            if (IsHopByHop(known, upgrade))
            {
                continue;
            }

            switch (known)
            {
                case KnownHeader.ContentLength when framing is ResponseFraming.Chunked or ResponseFraming.CloseDelimited:
                    continue;
                case KnownHeader.None when nominated && IsNominatedByResponseConnection(response.GetName(i)):
                    continue;
            }

            var name = response.GetName(i);
            if ((edit is not null && edit.Drops(name)) || (cors is not null && cors.Replaces(name)))
            {
                continue;
            }

            writer.WriteHeader(name, response.GetValue(i));
        }

        WriteResponseEditsAndCors(ref writer, edit);

        if (!interim && _setCookie is { } cookie)
        {
            writer.WriteHeader("set-cookie"u8, cookie);
        }

        if (framing == ResponseFraming.Chunked)
        {
            writer.Write("transfer-encoding: chunked\r\n"u8);
        }

        if (upgrade)
        {
            writer.Write("connection: upgrade\r\n"u8);
        }
        else if (!keepAlive)
        {
            writer.Write("connection: close\r\n"u8);
        }
        else if (clientIsHttp10)
        {
            writer.Write("connection: keep-alive\r\n"u8);
        }

        writer.Write("\r\n"u8);
        writer.Commit();
    }

    /// <summary>
    /// The standard hop-by-hop fields (RFC 9110 7.6.1): Connection, Keep-Alive, Proxy-Connection, TE, Trailer,
    /// Transfer-Encoding (we frame each side ourselves) and Upgrade unless this exchange is upgrading.
    /// </summary>
    private static bool IsHopByHop(KnownHeader known, bool upgrade) => known switch
    {
        KnownHeader.Connection or KnownHeader.KeepAlive or KnownHeader.ProxyConnection or KnownHeader.TE
            or KnownHeader.Trailer or KnownHeader.TransferEncoding => true,
        KnownHeader.Upgrade => !upgrade,
        _ => false,
    };

    private bool IsNominatedByRequestConnection(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < _request.HeaderCount; i++)
        {
            if (_request.GetKnownHeader(i) == KnownHeader.Connection && ConnectionTokens.Names(_request.GetHeaderValue(i), name))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsNominatedByResponseConnection(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < _response.FieldCount; i++)
        {
            if (_response.GetKnown(i) == KnownHeader.Connection && ConnectionTokens.Names(_response.GetValue(i), name))
            {
                return true;
            }
        }

        return false;
    }

    private enum AttemptEnd : byte
    {
        /// <summary>The exchange is finished; the client got its answer (or its connection is closed).</summary>
        Done,

        /// <summary>The retry policy takes the failure: nothing was written to the client.</summary>
        Retry,

        /// <summary>The keep-alive race: send the same attempt again on a fresh connection.</summary>
        Replay,
    }

    private enum HeadReadStatus : byte
    {
        Ok,
        Incomplete,
        Invalid,
        ClosedBeforeAnyByte,
        ClosedMidHead,
    }

    private enum ResponseFraming : byte
    {
        None,
        ContentLength,
        Chunked,
        CloseDelimited,
    }
}
