namespace Proxy.Protocols.Http1;

/// <summary>
/// Receives the fields of a parsed head. Spans are valid only during the call. Called only once the whole head
/// has arrived and passed validation of its line structure, so a handler never sees a partial head.
/// </summary>
public interface IHttpHeadHandler
{
    /// <param name="header">The recognised name, or <see cref="KnownHeader.None"/>.</param>
    /// <param name="name">The field name as sent (case preserved).</param>
    /// <param name="value">The field value with leading and trailing whitespace removed.</param>
    void OnHeader(KnownHeader header, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value);
}

public interface IHttpRequestHeadHandler : IHttpHeadHandler
{
    /// <summary>Called once, before any <see cref="IHttpHeadHandler.OnHeader"/>.</summary>
    /// <param name="method">The recognised method, or <see cref="Http1Method.Custom"/>.</param>
    /// <param name="methodToken">The method token as sent.</param>
    /// <param name="target">The request-target as sent (origin-, absolute-, authority- or asterisk-form).</param>
    /// <param name="version">HTTP/1.0 or HTTP/1.1.</param>
    void OnRequestLine(Http1Method method, ReadOnlySpan<byte> methodToken, ReadOnlySpan<byte> target, Http1Version version);
}

public interface IHttpResponseHeadHandler : IHttpHeadHandler
{
    /// <summary>Called once, before any <see cref="IHttpHeadHandler.OnHeader"/>.</summary>
    void OnStatusLine(Http1Version version, int statusCode, ReadOnlySpan<byte> reasonPhrase);
}
