using System.Text;
using Proxy.Protocols.Http1;

namespace Proxy.Protocols.Tests.Http1;

/// <summary>Records every callback as text (bytes as Latin-1, so obs-text stays visible) for comparing parses.</summary>
public struct RecordingHeadHandler : IHttpRequestHeadHandler, IHttpResponseHeadHandler
{
    public RecordingHeadHandler()
    {
        Events = [];
    }

    public List<string> Events { get; }

    public readonly void OnRequestLine(Http1Method method, ReadOnlySpan<byte> methodToken, ReadOnlySpan<byte> target, Http1Version version)
        => Events.Add($"request {method} [{Text(methodToken)}] [{Text(target)}] {version}");

    public readonly void OnStatusLine(Http1Version version, int statusCode, ReadOnlySpan<byte> reasonPhrase)
        => Events.Add($"status {version} {statusCode} [{Text(reasonPhrase)}]");

    public readonly void OnHeader(KnownHeader header, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        => Events.Add($"header {header} [{Text(name)}] [{Text(value)}]");

    public static string Text(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);
}

/// <summary>A handler that does nothing, for allocation and speed measurements.</summary>
public struct NullHeadHandler : IHttpRequestHeadHandler, IHttpResponseHeadHandler
{
    public int Headers { get; private set; }

    public void OnRequestLine(Http1Method method, ReadOnlySpan<byte> methodToken, ReadOnlySpan<byte> target, Http1Version version)
    {
    }

    public void OnStatusLine(Http1Version version, int statusCode, ReadOnlySpan<byte> reasonPhrase)
    {
    }

    public void OnHeader(KnownHeader header, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Headers++;
}
