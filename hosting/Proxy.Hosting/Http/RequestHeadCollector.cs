using System.Text;
using Proxy.Protocols.Http1;

namespace Proxy.Hosting.Http;

/// <summary>Copies a parsed request head into a <see cref="MiniHttpRequest"/>.</summary>
internal readonly struct RequestHeadCollector : IHttpRequestHeadHandler
{
    private readonly MiniHttpRequest _request;

    public RequestHeadCollector(MiniHttpRequest request) => _request = request;

    public void OnRequestLine(Http1Method method, ReadOnlySpan<byte> methodToken, ReadOnlySpan<byte> target, Http1Version version)
        => _request.SetRequestLine(method, Encoding.ASCII.GetString(methodToken), Encoding.Latin1.GetString(target), version);

    // Field values may carry obs-text (RFC 9110 5.5), which Latin-1 maps one byte to one char.
    public void OnHeader(KnownHeader header, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        => _request.AddHeader(Encoding.ASCII.GetString(name), Encoding.Latin1.GetString(value));
}
