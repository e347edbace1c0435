using System.Buffers;
using System.Text;
using Proxy.Engine.Http;
using Proxy.Engine.Routing;

namespace Proxy.Istio.Routing;

/// <summary>
/// One Envoy HeaderMatcher as Istio builds it: a string match or presence on a header (<see cref="Matcher"/> null),
/// optionally inverted with a missing header read as "" (<c>withoutHeaders</c>: <c>invert_match</c> and
/// <c>treat_missing_header_as_empty</c>, the latter not for presence).
/// </summary>
/// <remarks>
/// A header sent several times is matched as its values joined with <c>,</c> in order, as Envoy does since
/// CVE-2020-25017 (matching only the first value let a second one reach the upstream unchecked).
/// </remarks>
internal sealed class HeaderCondition(byte[] name, HeaderCondition.ValueSource source, ValueMatcher? matcher, bool missingAsEmpty)
{
    /// <summary>Where the condition reads its value: a request field, or one of Envoy's pseudo-headers.</summary>
    public enum ValueSource
    {
        Field,
        Authority,
        Method,
        Scheme,

        /// <summary>Path and query, as in an origin-form request line.</summary>
        Path,

        /// <summary>Envoy keeps the HTTP/1 Host field as <c>:authority</c>, so a <c>host</c> header matcher never
        /// finds it (istio/istio#23083).</summary>
        Absent,
    }

    // Joined values up to this size stay on the stack (STYLE: stackalloc <= 256 bytes); longer ones use the pool.
    private const int StackJoinBytes = 256;

    /// <summary>Lower-case name as configured (UTF-8).</summary>
    public byte[] Name { get; } = name;

    public ValueSource Source { get; } = source;

    /// <summary>Null: presence only.</summary>
    public ValueMatcher? Matcher { get; } = matcher;

    /// <summary>A missing header is matched as the empty value instead of failing (presence conditions never).</summary>
    public bool MissingAsEmpty { get; } = missingAsEmpty && matcher is not null;

    /// <summary>Whether the header matches (before any inversion <c>withoutHeaders</c> applies).</summary>
    public bool Matches(HttpRequestHead request)
    {
        switch (Source)
        {
            case ValueSource.Authority:
                return MatchesValue(request.Authority);
            case ValueSource.Method:
                return MatchesValue(request.MethodToken);
            case ValueSource.Scheme:
                return MatchesValue(RequestMatcher.SchemeOf(request));
            case ValueSource.Path:
                return MatchesPath(request);
            case ValueSource.Absent:
                return MissingAsEmpty && Matcher!.Matches(default);
        }

        var count = request.HeaderCount;
        for (var i = 0; i < count; i++)
        {
            if (!Ascii.EqualsIgnoreCase(request.GetHeaderName(i), Name))
            {
                continue;
            }

            if (Matcher is null)
            {
                return true;
            }

            for (var j = i + 1; j < count; j++)
            {
                if (Ascii.EqualsIgnoreCase(request.GetHeaderName(j), Name))
                {
                    return MatchesJoined(request, i);
                }
            }

            return Matcher.Matches(request.GetHeaderValue(i));
        }

        return MissingAsEmpty && Matcher!.Matches(default);
    }

    private bool MatchesValue(ReadOnlySpan<byte> value) => Matcher is null || Matcher.Matches(value);

    /// <summary>Envoy's <c>:path</c>: the path with its query, as in an origin-form request line.</summary>
    private bool MatchesPath(HttpRequestHead request)
    {
        if (Matcher is null)
        {
            return true;
        }

        var target = request.Target;
        if (target.Length > 0 && target[0] == (byte)'/')
        {
            return Matcher.Matches(target);
        }

        // Absolute-form (or "*"): rebuild path and query.
        var path = request.Path;
        var query = request.Query;
        var length = path.Length + (query.IsEmpty ? 0 : query.Length + 1);
        byte[]? rented = null;
        var buffer = length <= StackJoinBytes ? stackalloc byte[StackJoinBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            path.CopyTo(buffer);
            if (!query.IsEmpty)
            {
                buffer[path.Length] = (byte)'?';
                query.CopyTo(buffer[(path.Length + 1)..]);
            }

            return Matcher.Matches(buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The values of every field with this name from <paramref name="first"/> on, joined with ','.</summary>
    private bool MatchesJoined(HttpRequestHead request, int first)
    {
        var count = request.HeaderCount;
        var length = -1;
        for (var i = first; i < count; i++)
        {
            if (Ascii.EqualsIgnoreCase(request.GetHeaderName(i), Name))
            {
                length += request.GetHeaderValue(i).Length + 1;
            }
        }

        byte[]? rented = null;
        var buffer = length <= StackJoinBytes ? stackalloc byte[StackJoinBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = 0;
            for (var i = first; i < count; i++)
            {
                if (!Ascii.EqualsIgnoreCase(request.GetHeaderName(i), Name))
                {
                    continue;
                }

                if (i > first)
                {
                    buffer[written++] = (byte)',';
                }

                var value = request.GetHeaderValue(i);
                value.CopyTo(buffer[written..]);
                written += value.Length;
            }

            return Matcher!.Matches(buffer[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
