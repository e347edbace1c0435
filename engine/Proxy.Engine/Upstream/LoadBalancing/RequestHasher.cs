using System.Globalization;
using System.IO.Hashing;
using System.Net;
using System.Text;
using Proxy.Engine.Config;
using Proxy.Engine.Http;

namespace Proxy.Engine.Upstream.LoadBalancing;

/// <summary>
/// Computes a request's hash key as Envoy's route hash policies do (source/common/http/hash_policy.cc): xxHash64 of the
/// header value, cookie value, client IP text or query parameter value. Reads the request's bytes in place, so hashing
/// allocates nothing; only issuing a cookie allocates its <c>set-cookie</c> value. Immutable and thread-safe.
/// </summary>
internal sealed class RequestHasher
{
    // Values of one header field name beyond this many are not hashed (Envoy hashes all of them, sorted).
    private const int MaxHeaderValues = 8;

    private readonly HashKeySource _source;
    private readonly byte[] _name;
    private readonly byte[]? _setCookiePrefix;
    private readonly byte[]? _setCookieSuffix;

    [ThreadStatic]
    private static XxHash64? t_incremental;

    public RequestHasher(HashPolicy policy)
    {
        _source = policy.Source;
        _name = Encoding.ASCII.GetBytes(policy.Name ?? string.Empty);
        if (policy is { Source: HashKeySource.Cookie, CookieTtl: { } ttl })
        {
            // Envoy Http::Utility::makeSetCookieValue: name="value"; Max-Age=N (omitted for 0: a session cookie);
            // Path=p; attributes; HttpOnly. The value is quoted, and quotes are stripped when it comes back.
            _setCookiePrefix = Encoding.ASCII.GetBytes(policy.Name + "=\"");
            var suffix = new StringBuilder("\"");
            var seconds = (long)ttl.TotalSeconds;
            if (seconds != 0)
            {
                suffix.Append("; Max-Age=").Append(seconds.ToString(CultureInfo.InvariantCulture));
            }

            if (!string.IsNullOrEmpty(policy.CookiePath))
            {
                suffix.Append("; Path=").Append(policy.CookiePath);
            }

            foreach (var (name, value) in policy.CookieAttributes)
            {
                suffix.Append("; ").Append(name);
                if (!string.IsNullOrEmpty(value))
                {
                    suffix.Append('=').Append(value);
                }
            }

            _setCookieSuffix = Encoding.ASCII.GetBytes(suffix.Append("; HttpOnly").ToString());
        }
    }

    /// <summary>Length of an issued cookie's value: xxHash64 as 16 lower-case hex digits (Envoy Hex::uint64ToHex).</summary>
    internal const int CookieValueLength = 16;

    /// <summary>
    /// The request's hash, or false when it has no key (the caller then picks at random, as Envoy does).
    /// <paramref name="setCookie"/> is set when a cookie was issued for this request.
    /// </summary>
    public bool TryHash(in LoadBalancerContext context, out ulong hash, out byte[]? setCookie)
    {
        setCookie = null;
        switch (_source)
        {
            case HashKeySource.SourceIp:
                return TryHashAddress(context.Remote, out hash);
            case HashKeySource.Header when context.Request is { } request:
                return TryHashHeader(request, out hash);
            case HashKeySource.QueryParameter when context.Request is { } request:
                return TryHashQueryParameter(request.Query, out hash);
            case HashKeySource.Cookie when context.Request is { } request:
                if (TryFindCookie(request, _name, out var value) && !value.IsEmpty)
                {
                    hash = XxHash64.HashToUInt64(value);
                    return true;
                }

                return TryIssueCookie(context, out hash, out setCookie);
            default:
                hash = 0;
                return false;
        }
    }

    /// <summary>Envoy IpHashMethod: xxHash64 of the address as text, without the port.</summary>
    private static bool TryHashAddress(IPEndPoint? remote, out ulong hash)
    {
        Span<byte> text = stackalloc byte[64];
        if (remote is not null && TryFormatAddress(remote.Address, text, out var written))
        {
            hash = XxHash64.HashToUInt64(text[..written]);
            return true;
        }

        hash = 0;
        return false;
    }

    /// <summary>
    /// Envoy HeaderHashMethod: every field with the name, values sorted so their order does not matter, hashed as one
    /// byte sequence.
    /// </summary>
    private bool TryHashHeader(HttpRequestHead request, out ulong hash)
    {
        Span<int> matches = stackalloc int[MaxHeaderValues];
        var count = 0;
        for (var i = 0; i < request.HeaderCount && count < matches.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(request.GetHeaderName(i), _name))
            {
                matches[count++] = i;
            }
        }

        switch (count)
        {
            case 0:
                hash = 0;
                return false;
            case 1:
                hash = XxHash64.HashToUInt64(request.GetHeaderValue(matches[0]));
                return true;
        }

        var sorted = matches[..count];
        for (var i = 1; i < sorted.Length; i++)
        {
            var current = sorted[i];
            var j = i - 1;
            while (j >= 0 && request.GetHeaderValue(sorted[j]).SequenceCompareTo(request.GetHeaderValue(current)) > 0)
            {
                sorted[j + 1] = sorted[j];
                j--;
            }

            sorted[j + 1] = current;
        }

        var incremental = t_incremental ??= new XxHash64();
        incremental.Reset();
        foreach (var index in sorted)
        {
            incremental.Append(request.GetHeaderValue(index));
        }

        hash = incremental.GetCurrentHashAsUInt64();
        return true;
    }

    /// <summary>
    /// Envoy QueryParameterHashMethod (QueryParamsMulti::parseQueryString): '&amp;'-separated, not percent-decoded, the
    /// first parameter with the name; a parameter without '=' has the empty value.
    /// </summary>
    private bool TryHashQueryParameter(ReadOnlySpan<byte> query, out ulong hash)
    {
        while (true)
        {
            var end = query.IndexOf((byte)'&');
            var parameter = end < 0 ? query : query[..end];
            var equals = parameter.IndexOf((byte)'=');
            var name = equals < 0 ? parameter : parameter[..equals];
            if (name.SequenceEqual(_name))
            {
                hash = XxHash64.HashToUInt64(equals < 0 ? [] : parameter[(equals + 1)..]);
                return true;
            }

            if (end < 0)
            {
                hash = 0;
                return false;
            }

            query = query[(end + 1)..];
        }
    }

    /// <summary>
    /// Envoy Http::Utility::parseCookieValue: the first cookie with the name (exact) in any <c>cookie</c> field; a value
    /// wrapped in double quotes loses them (RFC 6265 4.1.1).
    /// </summary>
    internal static bool TryFindCookie(HttpRequestHead request, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        for (var i = 0; i < request.HeaderCount; i++)
        {
            if (!Ascii.EqualsIgnoreCase(request.GetHeaderName(i), "cookie"u8))
            {
                continue;
            }

            var rest = request.GetHeaderValue(i);
            while (!rest.IsEmpty)
            {
                var end = rest.IndexOf((byte)';');
                var pair = end < 0 ? rest : rest[..end];
                rest = end < 0 ? [] : rest[(end + 1)..];
                var equals = pair.IndexOf((byte)'=');
                if (equals < 0)
                {
                    continue;
                }

                if (pair[..equals].TrimStart((byte)' ').SequenceEqual(name))
                {
                    value = pair[(equals + 1)..];
                    if (value.Length >= 2 && value[0] == (byte)'"' && value[^1] == (byte)'"')
                    {
                        value = value[1..^1];
                    }

                    return true;
                }
            }
        }

        value = default;
        return false;
    }

    /// <summary>
    /// Envoy's generateCookie (thread_aware_lb_impl.cc): the value is xxHash64 of the downstream remote and local
    /// address strings, so every request of one connection gets the same cookie; the request is hashed on that value.
    /// </summary>
    private bool TryIssueCookie(in LoadBalancerContext context, out ulong hash, out byte[]? setCookie)
    {
        setCookie = null;
        hash = 0;
        if (_setCookiePrefix is null || _setCookieSuffix is null || context.Remote is not { } remote || context.Local is not { } local)
        {
            return false;
        }

        Span<byte> addresses = stackalloc byte[2 * MaxEndPointText];
        var length = FormatEndPoint(remote, addresses);
        length += FormatEndPoint(local, addresses[length..]);
        var cookieValue = XxHash64.HashToUInt64(addresses[..length]);

        Span<byte> hex = stackalloc byte[CookieValueLength];
        cookieValue.TryFormat(hex, out _, "x16", CultureInfo.InvariantCulture);
        hash = XxHash64.HashToUInt64(hex);

        var bytes = new byte[_setCookiePrefix.Length + CookieValueLength + _setCookieSuffix.Length];
        _setCookiePrefix.CopyTo(bytes, 0);
        hex.CopyTo(bytes.AsSpan(_setCookiePrefix.Length));
        _setCookieSuffix.CopyTo(bytes, _setCookiePrefix.Length + CookieValueLength);
        setCookie = bytes;
        return true;
    }

    // "[" + IPv6 text (at most 65 with a scope) + "]:" + 5 digits.
    private const int MaxEndPointText = 80;

    /// <summary>
    /// The address as Envoy writes it. A client reaching a dual-stack (<c>[::]</c>) listener over IPv4 has an
    /// IPv4-mapped address (<c>::ffff:1.2.3.4</c>); Envoy (and our x-forwarded-for) see <c>1.2.3.4</c>, so that is what
    /// is hashed. No allocation: the mapped form is formatted and its IPv4 tail kept.
    /// </summary>
    private static bool TryFormatAddress(IPAddress address, Span<byte> destination, out int written)
    {
        if (!address.TryFormat(destination, out written))
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            var tail = destination[..written];
            var colon = tail.LastIndexOf((byte)':');
            tail[(colon + 1)..].CopyTo(destination);
            written -= colon + 1;
        }

        return true;
    }

    /// <summary>Envoy's Address::Instance::asString: <c>1.2.3.4:80</c>, <c>[::1]:80</c>.</summary>
    private static int FormatEndPoint(IPEndPoint endPoint, Span<byte> destination)
    {
        var written = 0;
        var v6 = endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !endPoint.Address.IsIPv4MappedToIPv6;
        if (v6)
        {
            destination[written++] = (byte)'[';
        }

        TryFormatAddress(endPoint.Address, destination[written..], out var address);
        written += address;
        if (v6)
        {
            destination[written++] = (byte)']';
        }

        destination[written++] = (byte)':';
        endPoint.Port.TryFormat(destination[written..], out var port, default, CultureInfo.InvariantCulture);
        return written + port;
    }
}
