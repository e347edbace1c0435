using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace Proxy.Istio.Routing;

/// <summary>A compiled Istio StringMatch over raw request bytes. Matching never allocates.</summary>
internal abstract class StringMatcher
{
    public abstract bool Matches(ReadOnlySpan<byte> value);

    public static StringMatcher Exact(string value, bool ignoreCase) => new ExactMatcher(Encoding.UTF8.GetBytes(value), ignoreCase);

    public static StringMatcher Prefix(string value, bool ignoreCase) => new PrefixMatcher(Encoding.UTF8.GetBytes(value), ignoreCase);

    public static StringMatcher FromRegex(Regex regex) => new RegexMatcher(regex);

    /// <summary>Matches any value: presence-only header and query conditions.</summary>
    public static StringMatcher Any { get; } = new AnyMatcher();

    private sealed class ExactMatcher(byte[] expected, bool ignoreCase) : StringMatcher
    {
        public override bool Matches(ReadOnlySpan<byte> value) =>
            ignoreCase ? Ascii.EqualsIgnoreCase(value, expected) : value.SequenceEqual(expected);
    }

    private sealed class PrefixMatcher(byte[] prefix, bool ignoreCase) : StringMatcher
    {
        public override bool Matches(ReadOnlySpan<byte> value) =>
            ignoreCase
                ? value.Length >= prefix.Length && Ascii.EqualsIgnoreCase(value[..prefix.Length], prefix)
                : value.StartsWith(prefix);
    }

    private sealed class AnyMatcher : StringMatcher
    {
        public override bool Matches(ReadOnlySpan<byte> value) => true;
    }

    /// <summary>
    /// Regex over UTF-8 bytes: transcoded into a stack buffer (or a pooled array for long values) because .NET regexes
    /// run on chars. The regex is anchored (<c>^(?:...)$</c>) at load, so IsMatch is a full-string match.
    /// </summary>
    private sealed class RegexMatcher(Regex regex) : StringMatcher
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
