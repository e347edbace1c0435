using Proxy.Engine.Http;
using Proxy.Engine.Routing;

namespace Proxy.Istio.Routing;

/// <summary>
/// One compiled HTTPMatchRequest: every condition must hold. Conditions that depend only on where the route is served
/// (port, gateways, sourceLabels, sourceNamespace) were decided at compile time and are not here. Matches the way
/// Envoy evaluates the RouteMatch Istio generates (pilot route.go TranslateRouteMatch): <c>uri</c> on the path without
/// the query, <c>method</c>/<c>authority</c>/<c>scheme</c> as the <c>:method</c>/<c>:authority</c>/<c>:scheme</c>
/// pseudo-headers, <c>headers</c>/<c>withoutHeaders</c> as Envoy header matchers, <c>queryParams</c> as query
/// parameter matchers. Never allocates.
/// </summary>
internal sealed class RequestMatcher
{
    private static readonly byte[] HttpScheme = "http"u8.ToArray();
    private static readonly byte[] HttpsScheme = "https"u8.ToArray();

    public ValueMatcher? Uri { get; init; }

    public ValueMatcher? Scheme { get; init; }

    public ValueMatcher? Method { get; init; }

    public ValueMatcher? Authority { get; init; }

    public HeaderCondition[] Headers { get; init; } = [];

    public HeaderCondition[] WithoutHeaders { get; init; } = [];

    public KeyValueCondition[] QueryParams { get; init; } = [];

    public bool Matches(HttpRequestHead request)
    {
        // Cheapest and most selective first: the path, then the method, then header lookups (linear scans).
        if (Uri is not null && !Uri.Matches(request.Path))
        {
            return false;
        }

        if (Method is not null && !Method.Matches(request.MethodToken))
        {
            return false;
        }

        if (Authority is not null && !Authority.Matches(request.Authority))
        {
            return false;
        }

        if (Scheme is not null && !Scheme.Matches(SchemeOf(request)))
        {
            return false;
        }

        foreach (var header in Headers)
        {
            if (!header.Matches(request))
            {
                return false;
            }
        }

        foreach (var header in WithoutHeaders)
        {
            if (header.Matches(request))
            {
                return false;
            }
        }

        foreach (var query in QueryParams)
        {
            if (!TryGetQueryParam(request.Query, query.Name, out var value) || !query.Matcher.Matches(value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Envoy's <c>:scheme</c> for HTTP/1: the downstream connection's (an edge gateway overwrites x-forwarded-proto,
    /// so a client cannot claim https over plaintext).
    /// </summary>
    internal static ReadOnlySpan<byte> SchemeOf(HttpRequestHead request) =>
        request.Scheme == "https" ? HttpsScheme : HttpScheme;

    /// <summary>
    /// First <c>name[=value]</c> element of an <c>&amp;</c>-separated query with this exact (case-sensitive) name, as
    /// Envoy's query_parameters matcher sees it: the first value only, no percent-decoding, <c>?name</c> has the
    /// value "".
    /// </summary>
    internal static bool TryGetQueryParam(ReadOnlySpan<byte> query, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        while (!query.IsEmpty)
        {
            var end = query.IndexOf((byte)'&');
            var element = end < 0 ? query : query[..end];
            var equals = element.IndexOf((byte)'=');
            var key = equals < 0 ? element : element[..equals];
            if (key.SequenceEqual(name))
            {
                value = equals < 0 ? default : element[(equals + 1)..];
                return true;
            }

            query = end < 0 ? default : query[(end + 1)..];
        }

        value = default;
        return false;
    }
}

/// <summary>A query parameter name (UTF-8) and the condition on its value.</summary>
internal sealed record KeyValueCondition(byte[] Name, ValueMatcher Matcher);
