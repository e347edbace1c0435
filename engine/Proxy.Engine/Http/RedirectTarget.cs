using System.Globalization;
using System.Text;
using Proxy.Engine.Routing;

namespace Proxy.Engine.Http;

/// <summary>
/// A <see cref="RedirectAction"/> compiled to bytes, writing the Location as Envoy's <c>Http::Utility::newUri</c> builds
/// it (source/common/http/utility.cc):
/// <list type="bullet">
/// <item>Scheme: the action's, else the request's (the downstream connection's, which an edge gateway also writes as
/// x-forwarded-proto).</item>
/// <item>Host: the action's, written as configured, with no port unless the action sets one; else the request's
/// authority, whose port is dropped when the action sets a port, or when the scheme changes and the port is the old
/// scheme's default (<c>http://h:80</c> -> <c>https://h</c>, <c>https://h:443</c> -> <c>http://h</c>); any other port
/// is kept (<c>http://h:8080</c> -> <c>https://h:8080</c>).</item>
/// <item>Path: the action's, or the request's rewritten by the action's <see cref="RedirectAction.PathRewrite"/>
/// (Envoy <c>prefix_rewrite</c>), or the request's. The action's path's own query (a <c>?</c> in it) replaces the request's and survives
/// <see cref="RedirectAction.StripQuery"/>; without one the request's query is kept unless stripped. A path not
/// starting with <c>/</c> gets one.</item>
/// </list>
/// </summary>
internal sealed class RedirectTarget
{
    private readonly byte[]? _scheme;
    private readonly byte[]? _host;
    private readonly byte[]? _port;
    private readonly byte[]? _path;
    private readonly PathRewrite? _pathRewrite;
    private readonly bool _pathHasQuery;
    private readonly bool _stripQuery;

    public RedirectTarget(RedirectAction action)
    {
        StatusCode = action.StatusCode;
        _scheme = string.IsNullOrEmpty(action.Scheme) ? null : Encoding.ASCII.GetBytes(action.Scheme.ToLowerInvariant());
        _host = string.IsNullOrEmpty(action.Host) ? null : Encoding.UTF8.GetBytes(action.Host);
        _port = action.Port is { } port ? Encoding.ASCII.GetBytes(":" + port.ToString(CultureInfo.InvariantCulture)) : null;
        _path = string.IsNullOrEmpty(action.Path) ? null : Encoding.UTF8.GetBytes(action.Path);
        _pathRewrite = action.PathRewrite;
        _pathHasQuery = action.Path?.Contains('?', StringComparison.Ordinal) == true;
        _stripQuery = action.StripQuery;
    }

    public int StatusCode { get; }

    /// <summary>Writes the Location value for <paramref name="request"/>, received over https when <paramref name="https"/>.</summary>
    public void WriteLocation(ref HeadWriter writer, HttpRequestHead request, bool https)
    {
        var requestScheme = https ? "https"u8 : "http"u8;
        var scheme = _scheme is null ? requestScheme : _scheme.AsSpan();
        writer.Write(scheme);
        writer.Write("://"u8);
        writer.Write(_host is null ? RequestHost(request.Authority, scheme, requestScheme) : _host);
        if (_port is not null)
        {
            writer.Write(_port);
        }

        if (_path is null && _pathRewrite is not null && request.Path is [(byte)'/', ..])
        {
            // Envoy prefix_rewrite on a redirect: the Location's path is the request's, rewritten as for forwarding.
            Http1ProxyConnection.WriteRewrittenPath(ref writer, _pathRewrite, request.Path);
        }
        else if (_path is null)
        {
            WritePath(ref writer, request.Path);
        }
        else
        {
            WritePath(ref writer, _path);
            if (_pathHasQuery)
            {
                return;
            }
        }

        if (!_stripQuery && !request.Query.IsEmpty)
        {
            writer.WriteByte((byte)'?');
            writer.Write(request.Query);
        }
    }

    /// <summary>The request's authority, without its port when Envoy's processRequestHost drops it.</summary>
    private ReadOnlySpan<byte> RequestHost(ReadOnlySpan<byte> authority, ReadOnlySpan<byte> scheme, ReadOnlySpan<byte> requestScheme)
    {
        int portStart;
        if (authority.IsEmpty)
        {
            return authority;
        }

        if (authority[0] == (byte)'[')
        {
            portStart = authority.LastIndexOf("]:"u8);
            portStart = portStart < 0 ? -1 : portStart + 1;
        }
        else
        {
            portStart = authority.LastIndexOf((byte)':');
        }

        if (portStart < 0)
        {
            return authority;
        }

        var port = authority[portStart..];
        var drop = _port is not null;
        if (!scheme.SequenceEqual(requestScheme))
        {
            drop |= requestScheme.SequenceEqual("https"u8) ? port.SequenceEqual(":443"u8) : port.SequenceEqual(":80"u8);
        }

        return drop ? authority[..portStart] : authority;
    }

    private static void WritePath(ref HeadWriter writer, ReadOnlySpan<byte> path)
    {
        if (path.IsEmpty || path[0] != (byte)'/')
        {
            writer.WriteByte((byte)'/');
        }

        writer.Write(path);
    }
}
