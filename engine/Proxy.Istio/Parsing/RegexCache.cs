using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Proxy.Istio.Parsing;

/// <summary>
/// Compiled regexes shared by every config build in the process. A NonBacktracking regex costs about a millisecond and
/// a megabyte to construct, so a reload of an unchanged config must not construct them again. Regex instances are
/// immutable and thread-safe for matching, so routers of old and new configs can share them.
/// </summary>
internal static class RegexCache
{
    // Bounds memory when configs keep changing their patterns: past this many, start over (the next builds refill it).
    private const int MaxEntries = 20_000;

    private static readonly ConcurrentDictionary<string, Regex> Entries = new(StringComparer.Ordinal);

    /// <summary>The cached regex for <paramref name="key"/> (options and pattern), or a new one from <paramref name="create"/>,
    /// which may throw for an invalid pattern (nothing is cached then).</summary>
    public static Regex GetOrCreate(string key, Func<Regex> create)
    {
        if (Entries.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var regex = create();
        if (Entries.Count >= MaxEntries)
        {
            Entries.Clear();
        }

        return Entries.GetOrAdd(key, regex);
    }

    /// <summary>Empties the cache (benchmarks measuring a first build).</summary>
    internal static void Clear() => Entries.Clear();
}
