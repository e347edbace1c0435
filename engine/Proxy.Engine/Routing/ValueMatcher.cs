using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace Proxy.Engine.Routing;

/// <summary>
/// A compiled condition on a value from a request (a path, a header or query value, an Origin): exact, prefix, regex
/// or presence. Works on raw request bytes and never allocates. Routers use it for their own matching; the engine uses
/// it where a route asks it to compare values (CORS origins).
/// </summary>
public abstract class ValueMatcher
{
    private protected ValueMatcher()
    {
    }

    public abstract bool Matches(ReadOnlySpan<byte> value);

    public static ValueMatcher Exact(string value, bool ignoreCase = false) => new ExactMatcher(Encoding.UTF8.GetBytes(value), ignoreCase);

    public static ValueMatcher Prefix(string value, bool ignoreCase = false) => new PrefixMatcher(Encoding.UTF8.GetBytes(value), ignoreCase);

    /// <summary>A regex match; anchor the pattern (<c>^(?:...)$</c>) for a full-string match. Prefer
    /// <see cref="RegexOptions.NonBacktracking"/> for patterns from configuration, to bound matching time.</summary>
    public static ValueMatcher FromRegex(Regex regex)
    {
        ArgumentNullException.ThrowIfNull(regex);
        return new RegexMatcher(regex);
    }

    /// <summary>Matches any value: presence-only header and query conditions.</summary>
    public static ValueMatcher Any { get; } = new AnyMatcher();

    private sealed class ExactMatcher(byte[] expected, bool ignoreCase) : ValueMatcher
    {
        public override bool Matches(ReadOnlySpan<byte> value) =>
            ignoreCase ? Ascii.EqualsIgnoreCase(value, expected) : value.SequenceEqual(expected);
    }

    private sealed class PrefixMatcher(byte[] prefix, bool ignoreCase) : ValueMatcher
    {
        public override bool Matches(ReadOnlySpan<byte> value) =>
            ignoreCase
                ? value.Length >= prefix.Length && Ascii.EqualsIgnoreCase(value[..prefix.Length], prefix)
                : value.StartsWith(prefix);
    }

    private sealed class AnyMatcher : ValueMatcher
    {
        public override bool Matches(ReadOnlySpan<byte> value) => true;
    }

    /// <summary>
    /// Regex over UTF-8 bytes: transcoded into a stack buffer (or a pooled array for long values) because .NET regexes
    /// run on chars. The regex is anchored (<c>^(?:...)$</c>) at load, so IsMatch is a full-string match.
    /// </summary>
    private sealed class RegexMatcher(Regex regex) : ValueMatcher
    {
        // 256 chars covers typical paths and header values; UTF-8 never yields more chars than bytes.
        private const int StackChars = 256;

        public override bool Matches(ReadOnlySpan<byte> value)
        {
            if (value.Length <= StackChars)
            {
                Span<char> buffer = stackalloc char[StackChars];
                var written = Encoding.UTF8.GetChars(value, buffer);
                return regex.IsMatch(buffer[..written]);
            }

            return MatchesPooled(value);
        }

        private bool MatchesPooled(ReadOnlySpan<byte> value)
        {
            var rented = ArrayPool<char>.Shared.Rent(value.Length);
            try
            {
                var written = Encoding.UTF8.GetChars(value, rented);
                return regex.IsMatch(rented.AsSpan(0, written));
            }
            finally
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }
}
