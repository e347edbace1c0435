using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using Proxy.Engine.Http.Mirroring;
using Proxy.Engine.Routing;
using Proxy.Engine.Upstream;
using Proxy.Protocols.Http1;

namespace Proxy.Engine.Http;

/// <summary>
/// The route actions of one request: CORS, fault injection, the replies a route answers itself (redirect, direct
/// response, preflight, abort), path and authority rewrites, header edits and mirrors. Per-request state lives in
/// fields reset by <see cref="ResetActions"/>, so none of this allocates unless a mirror fires or a regex rewrites.
/// </summary>
internal sealed partial class Http1ProxyConnection
{
    private HeaderEdit? _requestEdit;
    private HeaderEdit? _responseEdit;
    private PathRewrite? _pathRewrite;
    private byte[]? _authorityRewrite;

    // The route's CORS policy when this request came from an origin it allows: the response gets the CORS fields.
    private CorsActions? _cors;
    private byte[]? _setCookie;

    // A request body read whole so a mirror can copy it (MirrorDispatcher.MaxBufferedBody at most), pooled.
    private byte[]? _bufferedBody;
    private int _bufferedBodyLength;

    private void ResetActions()
    {
        _requestEdit = null;
        _responseEdit = null;
        _pathRewrite = null;
        _authorityRewrite = null;
        _cors = null;
        _setCookie = null;
    }

    /// <summary>True with probability <paramref name="percentage"/>/100 (0 never, 100 always).</summary>
    private static bool Roll(double percentage) =>
        percentage >= 100 || (percentage > 0 && Random.Shared.NextDouble() * 100 < percentage);

    /// <summary>
    /// Envoy's CORS filter on the request: a preflight it answers (see <see cref="CorsActions"/>) is written here and
    /// true returned; otherwise a request from an allowed origin marks its response for the CORS fields.
    /// </summary>
    private bool ApplyCors(CorsActions cors, bool keepAlive)
    {
        if (!_request.TryGetHeader("origin"u8, out var origin) || origin.IsEmpty)
        {
            return false;
        }

        var allowed = cors.IsOriginAllowed(origin);
        var preflight = _request.Method == Http1Method.Options
            && _request.TryGetHeader("access-control-request-method"u8, out var method) && !method.IsEmpty;
        if (!preflight || (!allowed && cors.ForwardUnmatchedPreflights))
        {
            _cors = allowed ? cors : null;
            return false;
        }

        _statusCode = 200;
        var writer = new HeadWriter(_downstream.Output);
        writer.Write(ReasonPhrases.StatusLine(200));
        cors.WritePreflightFields(ref writer, _request, allowed ? origin : default);
        writer.Write("content-length: 0\r\n"u8);
        WriteLocalReplyEnd(ref writer, keepAlive);
        writer.Commit();
        return true;
    }

    /// <summary>The fault's delay on the server's clock. False when the connection was aborted meanwhile; a drain cuts
    /// the delay short and the request goes on, so a stopping server is not held by injected delays.</summary>
    private async ValueTask<bool> DelayAsync(TimeSpan delay)
    {
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(_aborted.Token, _drain.Token);
        try
        {
            // Counted once the delay's timer exists, so whoever sees the count (a test advancing a fake clock) cannot
            // move time before the delay started counting it.
            var delayed = Task.Delay(delay, _context.TimeProvider, wake.Token);
            Interlocked.Increment(ref _context.Statistics.FaultDelaysInjected);
            await delayed.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        return !_aborted.IsCancellationRequested && !_downstream.IsAborted;
    }

    /// <summary>
    /// A reply the route answers itself (redirect, direct response, fault abort): status line, Location, the route's
    /// response edits, the CORS fields, then framing and body. Envoy writes <c>content-type: text/plain</c> for a
    /// non-empty local body before the route's edits, so an edit that sets or removes content-type wins.
    /// </summary>
    private void WriteLocalReply(int statusCode, RedirectTarget? redirect, HeaderEdit? edit, ReadOnlySpan<byte> body, bool keepAlive)
    {
        _statusCode = statusCode;
        _bytesSent = body.Length;
        var writer = new HeadWriter(_downstream.Output);
        writer.Write(ReasonPhrases.StatusLine(statusCode));
        if (redirect is not null)
        {
            writer.Write("location: "u8);
            redirect.WriteLocation(ref writer, _request, _https);
            writer.Write("\r\n"u8);
        }

        WriteResponseEditsAndCors(ref writer, edit);

        // RFC 9110 6.4.1: 204 and 304 have no content; 204 has no content-length either.
        var noContent = statusCode is 204 or 304;
        if (!noContent)
        {
            if (!body.IsEmpty && edit?.Drops("content-type"u8) != true)
            {
                writer.Write("content-type: text/plain\r\n"u8);
            }

            writer.Write("content-length: "u8);
            writer.WriteNumber(body.Length);
            writer.Write("\r\n"u8);
        }

        WriteLocalReplyEnd(ref writer, keepAlive);
        if (!noContent && _request.Method != Http1Method.Head)
        {
            writer.Write(body);
        }

        writer.Commit();
    }

    /// <summary>The connection field and the end of a local reply's head.</summary>
    private void WriteLocalReplyEnd(ref HeadWriter writer, bool keepAlive)
    {
        if (!keepAlive)
        {
            writer.Write("connection: close\r\n"u8);
        }
        else if (_request.Version == Http1Version.Http10)
        {
            writer.Write("connection: keep-alive\r\n"u8);
        }

        writer.Write("\r\n"u8);
    }

    /// <summary>
    /// The path sent upstream under a rewrite (the query is written by the caller, unchanged):
    /// <list type="bullet">
    /// <item>Prefix: the leading <see cref="PathRewrite.Match"/> (ASCII case-insensitively when
    /// <see cref="PathRewrite.IgnoreCase"/>) becomes the replacement; a path without that prefix goes unchanged.</item>
    /// <item>Path: the whole path becomes the replacement.</item>
    /// <item>Regex: every match becomes the substitution, with group references (Envoy's RE2 GlobalReplace). This is
    /// the one rewrite that allocates per request: .NET regexes replace over strings.</item>
    /// </list>
    /// A result that does not start with <c>/</c> gets one, so the origin-form target stays valid (RFC 9112 3.2.1).
    /// </summary>
    internal static void WriteRewrittenPath(ref HeadWriter writer, PathRewrite rewrite, ReadOnlySpan<byte> path)
    {
        switch (rewrite.Kind)
        {
            case PathRewriteKind.Prefix:
                {
                    var prefix = rewrite.MatchUtf8;
                    var matches = rewrite.IgnoreCase
                        ? path.Length >= prefix.Length && Ascii.EqualsIgnoreCase(path[..prefix.Length], prefix)
                        : path.StartsWith(prefix);
                    if (!matches)
                    {
                        writer.Write(path);
                        return;
                    }

                    var replacement = rewrite.ReplacementUtf8;
                    var rest = path[prefix.Length..];
                    var first = replacement.Length > 0 ? replacement[0] : rest.IsEmpty ? (byte)0 : rest[0];
                    if (first != (byte)'/')
                    {
                        writer.WriteByte((byte)'/');
                    }

                    writer.Write(replacement);
                    writer.Write(rest);
                    return;
                }

            case PathRewriteKind.Path:
                if (rewrite.ReplacementUtf8 is not [(byte)'/', ..])
                {
                    writer.WriteByte((byte)'/');
                }

                writer.Write(rewrite.ReplacementUtf8);
                return;

            default:
                {
                    var rewritten = rewrite.Regex!.Replace(Encoding.UTF8.GetString(path), rewrite.RegexSubstitution);
                    if (!rewritten.StartsWith('/'))
                    {
                        writer.WriteByte((byte)'/');
                    }

                    writer.WriteUtf8(rewritten);
                    return;
                }
        }
    }

    /// <summary>
    /// The fields a response gains from the route: the header edits' set/add lines, then the CORS fields for an allowed
    /// Origin (which replace any the edits or the upstream would otherwise send).
    /// </summary>
    private void WriteResponseEditsAndCors(ref HeadWriter writer, HeaderEdit? edit)
    {
        var cors = _cors;
        if (edit is not null)
        {
            foreach (var line in edit.Lines)
            {
                if (cors is null || !cors.Replaces(line.Name))
                {
                    writer.Write(line.Line);
                }
            }
        }

        if (cors is not null && _request.TryGetHeader("origin"u8, out var origin))
        {
            cors.WriteResponseFields(ref writer, origin);
        }
    }

    /// <summary>
    /// Envoy's shadow Host (source/common/router/shadow_writer_impl.cc, shadowAppendedHost): <c>-shadow</c> goes after
    /// the host and before any port, so <c>api.example.com:8080</c> becomes <c>api.example.com-shadow:8080</c>.
    /// </summary>
    private static void WriteShadowHost(ref HeadWriter writer, ReadOnlySpan<byte> authority)
    {
        var colon = authority.LastIndexOf((byte)':');
        var portStart = colon > authority.LastIndexOf((byte)']') ? colon : authority.Length;
        writer.Write("host: "u8);
        writer.Write(authority[..portStart]);
        writer.Write("-shadow"u8);
        writer.Write(authority[portStart..]);
        writer.Write("\r\n"u8);
    }

    /// <summary>
    /// Which of the route's mirrors fire for this request, each by its own percentage, as bits (a route with more than
    /// 64 mirrors has the rest ignored; Istio routes have one or a few).
    /// </summary>
    private static ulong SelectMirrors(MirrorPolicy[] mirrors)
    {
        var selected = 0UL;
        for (var i = 0; i < mirrors.Length && i < 64; i++)
        {
            if (Roll(mirrors[i].Percentage))
            {
                selected |= 1UL << i;
            }
        }

        return selected;
    }

    /// <summary>
    /// Prepares the selected mirrors of a request about to be forwarded: a body is read whole first (so the primary and
    /// every copy send it from one pooled buffer) when it has a Content-Length of at most
    /// <see cref="MirrorDispatcher.MaxBufferedBody"/>; a chunked or larger body, or an upgrade (Envoy: shadowing does
    /// not support upgrades), is forwarded as usual and not mirrored (counted as skipped). False when the client went
    /// away before its body was complete.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SendMirrorsAsync(MirrorPolicy[] mirrors, ulong selected, HttpHeadInfo info, bool upgrade)
    {
        if (upgrade || info.IsChunked || info.ContentLength > MirrorDispatcher.MaxBufferedBody)
        {
            Interlocked.Add(ref _context.Statistics.MirrorRequestsSkipped, BitOperations.PopCount(selected));
            return true;
        }

        if (info.ContentLength > 0 && !await BufferRequestBodyAsync(info).ConfigureAwait(false))
        {
            return false;
        }

        SendMirrors(mirrors, selected, info);
        return true;
    }

    private void SendMirrors(MirrorPolicy[] mirrors, ulong selected, in HttpHeadInfo info)
    {
        var dispatcher = _context.Mirrors;
        for (var i = 0; i < mirrors.Length && i < 64; i++)
        {
            if ((selected & (1UL << i)) == 0)
            {
                continue;
            }

            // Envoy skips a shadow whose cluster is gone; an empty cluster cannot take it either.
            var cluster = mirrors[i].Cluster.State;
            var endpoint = cluster?.PickEndpoint(new LoadBalancerContext(_request, _downstream.RemoteEndPoint, _downstream.LocalEndPoint)).Endpoint;
            if (cluster is null || endpoint is null)
            {
                Interlocked.Increment(ref _context.Statistics.MirrorRequestsFailed);
                continue;
            }

            if (!dispatcher.TryAdmit())
            {
                continue;
            }

            // The copy is rendered now, while the request head is ours: the same head the primary gets (rewrites, edits,
            // x-forwarded-*, the same x-request-id) with the shadow Host, then the body.
            var copy = new MirrorRequest(dispatcher, cluster, endpoint, _context, _request.Method == Http1Method.Head, 1024 + _bufferedBodyLength);
            WriteUpstreamRequestHead(copy, info, upgrade: false, endpoint, mirror: true);
            if (_bufferedBody is { } body)
            {
                copy.Write(body.AsSpan(0, _bufferedBodyLength));
            }

            Interlocked.Increment(ref _context.Statistics.MirrorRequestsSent);
            ThreadPool.UnsafeQueueUserWorkItem(copy, preferLocal: false);
        }
    }

    /// <summary>Reads a Content-Length body whole into a pooled buffer (answering 100-continue first when asked).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> BufferRequestBodyAsync(HttpHeadInfo info)
    {
        if (info.ExpectContinue && info.Version != Http1Version.Http10)
        {
            LocalReplies.WriteContinue(_downstream.Output);
            await _downstream.Output.FlushAsync().ConfigureAwait(false);
        }

        var length = (int)info.ContentLength;
        var body = ArrayPool<byte>.Shared.Rent(length);
        var copied = 0;
        var input = _downstream.Input;
        while (copied < length)
        {
            var read = await input.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            var take = (int)Math.Min(length - copied, buffer.Length);
            buffer.Slice(0, take).CopyTo(body.AsSpan(copied));
            copied += take;
            input.AdvanceTo(buffer.GetPosition(take));
            if (copied < length && read.IsCompleted)
            {
                ArrayPool<byte>.Shared.Return(body);
                return false;
            }
        }

        _bufferedBody = body;
        _bufferedBodyLength = length;
        _bytesReceived = length;
        return true;
    }

    private void ReturnBufferedBody()
    {
        if (_bufferedBody is { } body)
        {
            _bufferedBody = null;
            _bufferedBodyLength = 0;
            ArrayPool<byte>.Shared.Return(body);
        }
    }
}
