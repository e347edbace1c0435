using System.Globalization;
using System.Text;
using Proxy.Engine.Routing;

namespace Proxy.Engine.Http;

/// <summary>
/// A route's <see cref="CorsPolicy"/> compiled to header bytes, with Envoy's CORS filter semantics
/// (source/extensions/filters/http/cors/cors_filter.cc):
/// <list type="bullet">
/// <item>A request without <c>Origin</c> (or with an empty one) is not a CORS request: untouched.</item>
/// <item>A preflight is <c>OPTIONS</c> with <c>Origin</c> and a non-empty <c>Access-Control-Request-Method</c>. From an
/// allowed origin it is answered 200 here with the origin echoed; from another origin it is forwarded when
/// <see cref="CorsPolicy.ForwardUnmatchedPreflights"/>, else answered 200 without <c>access-control-allow-origin</c>
/// (Envoy still writes the methods, headers, max-age and credentials fields then).</item>
/// <item>Any other response to a request from an allowed origin gets <c>access-control-allow-origin</c> (echoed),
/// <c>-allow-credentials</c> and <c>-expose-headers</c>, replacing the upstream's.</item>
/// <item>An allowed origin is one a matcher accepts, or any origin when a matcher accepts the literal <c>*</c>. Envoy
/// adds no <c>vary: origin</c>, so neither do we.</item>
/// </list>
/// </summary>
internal sealed class CorsActions
{
    private readonly ValueMatcher[] _origins;
    private readonly bool _anyOrigin;
    private readonly byte[]? _allowMethods;
    private readonly bool _echoMethods;
    private readonly byte[]? _allowHeaders;
    private readonly bool _echoHeaders;
    private readonly byte[]? _maxAge;
    private readonly byte[]? _exposeHeaders;

    public CorsActions(CorsPolicy policy)
    {
        _origins = [.. policy.AllowOrigins];
        foreach (var origin in _origins)
        {
            _anyOrigin |= origin.Matches("*"u8);
        }

        ForwardUnmatchedPreflights = policy.ForwardUnmatchedPreflights;
        AllowCredentials = policy.AllowCredentials;
        _echoMethods = policy.AllowMethods == "*";
        _allowMethods = Utf8(policy.AllowMethods);
        _echoHeaders = policy.AllowHeaders == "*";
        _allowHeaders = Utf8(policy.AllowHeaders);

        // Istio writes Envoy's max_age as whole seconds.
        _maxAge = policy.MaxAge is { } maxAge ? Utf8(((long)maxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture)) : null;
        _exposeHeaders = Utf8(policy.ExposeHeaders);
    }

    public bool ForwardUnmatchedPreflights { get; }

    public bool AllowCredentials { get; }

    public bool IsOriginAllowed(ReadOnlySpan<byte> origin)
    {
        if (_anyOrigin)
        {
            return true;
        }

        foreach (var matcher in _origins)
        {
            if (matcher.Matches(origin))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether an actual response's field of this name is replaced by the CORS fields.</summary>
    public bool Replaces(ReadOnlySpan<byte> name) =>
        Ascii.EqualsIgnoreCase(name, "access-control-allow-origin"u8)
        || (AllowCredentials && Ascii.EqualsIgnoreCase(name, "access-control-allow-credentials"u8))
        || (_exposeHeaders is not null && Ascii.EqualsIgnoreCase(name, "access-control-expose-headers"u8));

    /// <summary>The CORS fields of a preflight reply; <paramref name="origin"/> is empty when it was not allowed.</summary>
    public void WritePreflightFields(ref HeadWriter writer, HttpRequestHead request, ReadOnlySpan<byte> origin)
    {
        if (!origin.IsEmpty)
        {
            writer.WriteHeader("access-control-allow-origin"u8, origin);
        }

        if (AllowCredentials)
        {
            writer.Write("access-control-allow-credentials: true\r\n"u8);
        }

        if (_allowMethods is not null)
        {
            // "*" echoes the method the preflight asks for.
            if (!_echoMethods)
            {
                writer.WriteHeader("access-control-allow-methods"u8, _allowMethods);
            }
            else if (request.TryGetHeader("access-control-request-method"u8, out var method))
            {
                writer.WriteHeader("access-control-allow-methods"u8, method);
            }
        }

        if (_allowHeaders is not null)
        {
            if (!_echoHeaders)
            {
                writer.WriteHeader("access-control-allow-headers"u8, _allowHeaders);
            }
            else if (request.TryGetHeader("access-control-request-headers"u8, out var headers) && !headers.IsEmpty)
            {
                writer.WriteHeader("access-control-allow-headers"u8, headers);
            }
        }

        if (_maxAge is not null)
        {
            writer.WriteHeader("access-control-max-age"u8, _maxAge);
        }
    }

    /// <summary>The CORS fields of any other response to a request from the allowed <paramref name="origin"/>.</summary>
    public void WriteResponseFields(ref HeadWriter writer, ReadOnlySpan<byte> origin)
    {
        writer.WriteHeader("access-control-allow-origin"u8, origin);
        if (AllowCredentials)
        {
            writer.Write("access-control-allow-credentials: true\r\n"u8);
        }

        if (_exposeHeaders is not null)
        {
            writer.WriteHeader("access-control-expose-headers"u8, _exposeHeaders);
        }
    }

    private static byte[]? Utf8(string? value) => string.IsNullOrEmpty(value) ? null : Encoding.UTF8.GetBytes(value);
}
