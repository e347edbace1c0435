using Proxy.Engine.Routing;
using Proxy.Engine.Http;

namespace Proxy.Istio.Routing;

/// <summary>
/// One compiled HTTPMatchRequest: every condition must hold. Conditions that depend only on where the route is served
/// (port, gateways, sourceLabels, sourceNamespace) were decided at compile time and are not here.
/// </summary>
internal sealed class RequestMatcher
{
    private static readonly byte[] HttpScheme = "http"u8.ToArray();
    private static readonly byte[] HttpsScheme = "https"u8.ToArray();

    public ValueMatcher? Uri { get; init; }

    public ValueMatcher? Scheme { get; init; }

    public ValueMatcher? Method { get; init; }

    public ValueMatcher? Authority { get; init; }

    public KeyValueCondition[] Headers { get; init; } = [];

    public KeyValueCondition[] WithoutHeaders { get; init; } = [];

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

        if (Scheme is not null && !Scheme.Matches(request.Scheme == "https" ? HttpsScheme : HttpScheme))
        {
            return false;
        }

        foreach (var header in Headers)
        {
            if (!request.TryGetHeader(header.Name, out var value) || !header.Matcher.Matches(value))
            {
                return false;
            }
        }

        foreach (var header in WithoutHeaders)
        {
            if (request.TryGetHeader(header.Name, out var value) && header.Matcher.Matches(value))
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
    /// First <c>name[=value]</c> element of an <c>&amp;</c>-separated query with this exact (case-sensitive) name, as
    /// Envoy's query_parameters matcher sees it: no percent-decoding.
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

/// <summary>A header or query parameter name (UTF-8) and the condition on its value.</summary>
internal sealed record KeyValueCondition(byte[] Name, ValueMatcher Matcher);
