using Proxy.Protocols.Http1;

namespace Proxy.Engine.Http;

/// <summary>Copies a parsed request head into the connection's <see cref="HttpRequestHead"/>.</summary>
internal readonly struct RequestHeadHandler(HttpRequestHead head) : IHttpRequestHeadHandler
{
    public void OnRequestLine(Http1Method method, ReadOnlySpan<byte> methodToken, ReadOnlySpan<byte> target, Http1Version version)
        => head.SetRequestLine(method, methodToken, target, version);

    public void OnHeader(KnownHeader header, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        => head.AddHeader(header, name, value);
}

/// <summary>Copies a parsed response head into the connection's <see cref="ResponseHead"/>.</summary>
internal readonly struct ResponseHeadHandler(ResponseHead head) : IHttpResponseHeadHandler
{
    public void OnStatusLine(Http1Version version, int statusCode, ReadOnlySpan<byte> reasonPhrase)
        => head.SetStatusLine(version, statusCode, reasonPhrase);

    public void OnHeader(KnownHeader header, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        => head.AddField(header, name, value);
}
