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
    /// <remarks>
    /// A value that lacks the pattern's literal prefix (see <see cref="RegexLiteralPrefix"/>) cannot match, and is
    /// turned down with a byte comparison: a NonBacktracking IsMatch costs tens of nanoseconds even when it fails on
    /// the first character, and a route table scans many regex routes that fail (RouterBenchmark).
    /// </remarks>
    private sealed class RegexMatcher(Regex regex) : ValueMatcher
    {
        // 256 chars covers typical paths and header values; UTF-8 never yields more chars than bytes.
        private const int StackChars = 256;

        private readonly byte[] _prefix = Encoding.ASCII.GetBytes(RegexLiteralPrefix.Of(regex));

        public override bool Matches(ReadOnlySpan<byte> value)
        {
            if (!value.StartsWith(_prefix))
            {
                return false;
            }

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

    /// <summary>
    /// The literal text every match of an anchored regex <c>^(?:pattern)...</c> must start with, or "" when that cannot
    /// be proved from the pattern's text alone. Conservative by construction: any construct that could make the
    /// leading literal optional or one of several alternatives yields "".
    /// </summary>
    /// <remarks>
    /// The literal is the run of plain ASCII characters right after <c>^(?:</c>, minus its last character when a
    /// quantifier follows it. It holds unless an alternation <c>|</c> sits in the wrapping group or outside it, or a
    /// top-level group is quantified. Patterns with <c>(?</c> constructs other than <c>(?:</c> (inline options such
    /// as <c>(?x)</c> change how the rest parses), nested character classes, or options that change what a literal
    /// or <c>^</c> means are not analysed. A value matches the prefix byte-wise exactly when its UTF-8 decoding
    /// matches it char-wise, because the prefix is ASCII and UTF-8 decodes a byte below 0x80 to itself and any other
    /// byte to a non-ASCII char.
    /// </remarks>
    private static class RegexLiteralPrefix
    {
        private const string Wrapper = "^(?:";

        private const RegexOptions UnsafeOptions = RegexOptions.IgnoreCase | RegexOptions.Multiline |
            RegexOptions.IgnorePatternWhitespace | RegexOptions.RightToLeft | RegexOptions.ECMAScript;

        public static string Of(Regex regex)
        {
            if ((regex.Options & UnsafeOptions) != 0)
            {
                return string.Empty;
            }

            var pattern = regex.ToString();
            if (!pattern.StartsWith(Wrapper, StringComparison.Ordinal))
            {
                return string.Empty;
            }

            var end = Wrapper.Length;
            while (end < pattern.Length && IsPlainLiteral(pattern[end]))
            {
                end++;
            }

            var length = end - Wrapper.Length;
            if (end < pattern.Length && IsQuantifierStart(pattern[end]))
            {
                length--;
            }

            return length > 0 && HasNoAlternativeStart(pattern) ? pattern.Substring(Wrapper.Length, length) : string.Empty;
        }

        /// <summary>Characters that are literals wherever they appear outside a character class.</summary>
        private static bool IsPlainLiteral(char c) =>
            char.IsAsciiLetterOrDigit(c) || c is '/' or '-' or '_' or '~' or '%' or '=' or '&' or ',' or ';' or ':' or '@' or '!' or '\'' or '"' or '<' or '>';

        private static bool IsQuantifierStart(char c) => c is '*' or '+' or '?' or '{';

        /// <summary>No <c>|</c> at depth 0 or 1 and no quantified top-level group, skipping escapes and classes.</summary>
        private static bool HasNoAlternativeStart(string pattern)
        {
            var depth = 0;
            for (var i = 0; i < pattern.Length; i++)
            {
                switch (pattern[i])
                {
                    case '\\':
                        i++;
                        break;
                    case '[':
                        i++;
                        if (i < pattern.Length && pattern[i] == '^')
                        {
                            i++;
                        }

                        if (i < pattern.Length && pattern[i] == ']')
                        {
                            // A ']' first in a class is a literal.
                            i++;
                        }

                        for (; i < pattern.Length && pattern[i] != ']'; i++)
                        {
                            if (pattern[i] == '[')
                            {
                                // Class subtraction ([a-z-[aeiou]]): not analysed.
                                return false;
                            }

                            if (pattern[i] == '\\')
                            {
                                i++;
                            }
                        }

                        break;
                    case '(':
                        if (i + 1 < pattern.Length && pattern[i + 1] == '?' && (i + 2 >= pattern.Length || pattern[i + 2] != ':'))
                        {
                            return false;
                        }

                        depth++;
                        break;
                    case ')':
                        depth--;
                        if (depth == 0 && i + 1 < pattern.Length && IsQuantifierStart(pattern[i + 1]))
                        {
                            return false;
                        }

                        break;
                    case '|' when depth <= 1:
                        return false;
                }
            }

            return true;
        }
    }
}
