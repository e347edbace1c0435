using System.Buffers;

namespace Proxy.Engine.Http;

/// <summary>
/// The request path as an Istio gateway's Envoy rewrites it before routing: Istio's default MeshConfig
/// <c>pathNormalization: BASE</c> is the connection manager's <c>normalize_path: true</c> (with <c>merge_slashes</c>
/// off and escaped slashes kept), which runs <c>PathUtil::canonicalPath</c> (envoy source/common/http/path_utility.cc)
/// on the path without its query. That is Chromium's <c>url::CanonicalizePath</c> (url_canon_path.cc, vendored by Envoy
/// under source/common/chromium_url): RFC 3986 5.2.4 remove_dot_segments with browser leniencies.
/// </summary>
/// <remarks>
/// The rules, byte by byte over the path (the query never reaches here):
/// <list type="bullet">
/// <item>A path that does not start with '/' or '\' gets a leading '/'.</item>
/// <item>'.' and "%2e"/"%2E" are dots. A segment of one dot is dropped; a segment of two dots drops the previous
/// segment, never above the root. A segment ends at '/', '\' or the end of the path; "/.a" and "/a." are names.</item>
/// <item>'\' becomes '/'.</item>
/// <item>A valid escape of an unreserved character (ALPHA, DIGIT, '-', '_', '~') is decoded ("%41" is "A"); any
/// other valid escape is kept exactly as sent, hex case included ("%2f" stays "%2f"); "%00" is kept and makes the
/// path invalid. A '%' not followed by two hex digits is kept, unless decoding what follows would make it start a
/// valid escape ("%%30" would read "%0"), then it becomes "%25" so the result cannot be decoded twice.</item>
/// <item>Bytes not allowed raw in a path (controls, space, '"', '#', '&lt;', '&gt;', '?', '^', '`', '{', '|', '}',
/// DEL, non-ASCII) are percent-encoded with upper-case hex; a raw NUL is encoded and makes the path invalid.</item>
/// <item>Case is never changed and repeated slashes are kept.</item>
/// </list>
/// Envoy answers 400 (response code details <c>path_normalization_failed</c>) to a path that is invalid.
/// </remarks>
internal static class PathNormalizer
{
    private const byte ByteSlash = (byte)'/';
    private const byte ByteBackslash = (byte)'\\';
    private const byte ByteDot = (byte)'.';
    private const byte BytePercent = (byte)'%';

    // Chromium's kPathCharLookup flags. Special: needs a look before copying. Escape: percent-encode it raw.
    // Unescape: decode it when escaped. Invalid: fails the path.
    private const byte Special = 1;
    private const byte EscapeBit = 2;
    private const byte UnescapeBit = 4;
    private const byte InvalidBit = 8;
    private const byte Escape = EscapeBit | Special;
    private const byte Invalid = InvalidBit | Special;

    private static readonly byte[] s_classes = BuildClasses();

    /// <summary>Every byte whose class has <see cref="Special"/>: the only bytes a normal path may not hold freely.</summary>
    private static readonly SearchValues<byte> s_special = BuildSpecial();

    private static ReadOnlySpan<byte> UpperHex => "0123456789ABCDEF"u8;

    /// <summary>The most bytes <see cref="TryNormalize"/> can write for a path this long: each byte may become three,
    /// and a leading '/' may be added.</summary>
    public static int MaxNormalizedLength(int pathLength) => (pathLength * 3) + 1;

    /// <summary>
    /// True when normalising <paramref name="path"/> would return it unchanged. One vectorised scan for the bytes that
    /// need a look; a '.' only needs one when it starts a segment. Paths that escape something are not proven normal
    /// here (they may well be): <see cref="TryNormalize"/> decides.
    /// </summary>
    public static bool IsNormal(ReadOnlySpan<byte> path)
    {
        if (path.IsEmpty || path[0] != ByteSlash)
        {
            return false;
        }

        var i = 1;
        while ((uint)i < (uint)path.Length)
        {
            var found = path[i..].IndexOfAny(s_special);
            if (found < 0)
            {
                return true;
            }

            i += found;
            if (path[i] != ByteDot || (path[i - 1] == ByteSlash && IsDotSegment(path, i)))
            {
                return false;
            }

            i++;
        }

        return true;
    }

    /// <summary>
    /// Writes the normalised <paramref name="path"/> to <paramref name="destination"/>, which must hold
    /// <see cref="MaxNormalizedLength"/> bytes and must not overlap the path. False when Envoy rejects the path
    /// (it held an escaped or raw NUL); <paramref name="written"/> is then still the bytes written.
    /// </summary>
    public static bool TryNormalize(ReadOnlySpan<byte> path, Span<byte> destination, out int written)
    {
        var o = 0;
        if (path.IsEmpty || !IsSlash(path[0]))
        {
            destination[o++] = ByteSlash;
        }

        var valid = true;
        var lastInvalidPercent = int.MinValue;
        for (var i = 0; i < path.Length; i++)
        {
            var b = path[i];
            var flags = s_classes[b];
            if ((flags & Special) == 0)
            {
                destination[o++] = b;
                continue;
            }

            var dotLength = DotLength(path, i);
            if (dotLength > 0)
            {
                // Only a dot right after a slash can start a dot segment; any other is part of a name.
                if (o > 0 && destination[o - 1] == ByteSlash)
                {
                    switch (ClassifyAfterDot(path, i + dotLength, out var consumed))
                    {
                        case DotSegment.Current:
                            i += dotLength + consumed - 1;
                            continue;
                        case DotSegment.Parent:
                            o = BackUpToPreviousSlash(destination, o);
                            i += dotLength + consumed - 1;
                            continue;
                    }
                }

                destination[o++] = ByteDot;
                i += dotLength - 1;
            }
            else if (b == ByteBackslash)
            {
                destination[o++] = ByteSlash;
            }
            else if (b == BytePercent)
            {
                if (TryDecodeEscape(path, i, out var value))
                {
                    var valueFlags = s_classes[value];
                    if ((valueFlags & UnescapeBit) != 0)
                    {
                        destination[o++] = value;
                        i += 2;
                        if (lastInvalidPercent >= o - 3)
                        {
                            o = EscapeNestedPercent(path, i + 1, lastInvalidPercent, destination, o);
                        }
                    }
                    else
                    {
                        // Kept exactly as sent: a server may care about the case of the hex digits.
                        path.Slice(i, 3).CopyTo(destination[o..]);
                        o += 3;
                        i += 2;
                        valid &= (valueFlags & InvalidBit) == 0;
                    }
                }
                else
                {
                    // Not an escape: passed through, as browsers other than IE do.
                    lastInvalidPercent = o;
                    destination[o++] = BytePercent;
                }
            }
            else
            {
                valid &= (flags & InvalidBit) == 0;
                destination[o++] = BytePercent;
                destination[o++] = UpperHex[b >> 4];
                destination[o++] = UpperHex[b & 0xF];
            }
        }

        written = o;
        return valid;
    }

    private enum DotSegment
    {
        Name,
        Current,
        Parent,
    }

    private static bool IsSlash(byte b) => b == ByteSlash || b == ByteBackslash;

    /// <summary>The length of the dot at <paramref name="offset"/>: 1 for '.', 3 for "%2e"/"%2E", 0 for no dot.</summary>
    private static int DotLength(ReadOnlySpan<byte> path, int offset)
    {
        var b = path[offset];
        if (b == ByteDot)
        {
            return 1;
        }

        return b == BytePercent && offset + 3 <= path.Length && path[offset + 1] == (byte)'2' && (path[offset + 2] | 0x20) == (byte)'e' ? 3 : 0;
    }

    /// <summary>
    /// What a dot just after a slash starts, given the input after it; <paramref name="consumed"/> is how much of that
    /// input the segment takes (a second dot and the slash ending it).
    /// </summary>
    private static DotSegment ClassifyAfterDot(ReadOnlySpan<byte> path, int afterDot, out int consumed)
    {
        consumed = 0;
        if (afterDot == path.Length)
        {
            return DotSegment.Current;
        }

        if (IsSlash(path[afterDot]))
        {
            consumed = 1;
            return DotSegment.Current;
        }

        var secondDot = DotLength(path, afterDot);
        if (secondDot > 0)
        {
            var afterSecond = afterDot + secondDot;
            if (afterSecond == path.Length)
            {
                consumed = secondDot;
                return DotSegment.Parent;
            }

            if (IsSlash(path[afterSecond]))
            {
                consumed = secondDot + 1;
                return DotSegment.Parent;
            }
        }

        return DotSegment.Name;
    }

    /// <summary>The fast path's view of <see cref="ClassifyAfterDot"/> for a literal '.' after a '/'.</summary>
    private static bool IsDotSegment(ReadOnlySpan<byte> path, int dot)
        => ClassifyAfterDot(path, dot + 1, out _) != DotSegment.Name;

    /// <summary>
    /// Drops the last segment of the output, which ends in '/': the result ends at the slash before it, never before
    /// the root slash ("/.." above the root stays "/").
    /// </summary>
    private static int BackUpToPreviousSlash(Span<byte> output, int length)
    {
        var i = length - 1;
        if (i <= 0)
        {
            return length;
        }

        i--;
        while (i > 0 && output[i] != ByteSlash)
        {
            i--;
        }

        return i + 1;
    }

    private static bool TryDecodeEscape(ReadOnlySpan<byte> text, int percent, out byte value)
    {
        value = 0;
        if (percent + 3 > text.Length)
        {
            return false;
        }

        var high = HexValue(text[percent + 1]);
        var low = HexValue(text[percent + 2]);
        if ((high | low) < 0)
        {
            return false;
        }

        value = (byte)((high << 4) | low);
        return true;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        _ => -1,
    };

    /// <summary>
    /// Chromium's CheckForNestedEscapes. A byte was just decoded within two bytes of a '%' that started no escape in
    /// the input; if that '%' now starts a valid escape in the output ("%%30" gave "%0", and the next input byte makes
    /// "%0x"), the '%' becomes "%25" so the result cannot decode to something else a second time.
    /// </summary>
    private static int EscapeNestedPercent(ReadOnlySpan<byte> path, int nextInput, int percent, Span<byte> output, int length)
    {
        var decoded = output[length - 1];
        var o = length;
        var appendNext = percent == length - 2;
        if (appendNext)
        {
            if (nextInput == path.Length || path[nextInput] >= 0x80)
            {
                return length;
            }

            // Looked at only: the main loop still copies this input byte after us.
            output[o++] = path[nextInput];
        }

        if (TryDecodeEscape(output[..o], percent, out _))
        {
            if (!appendNext)
            {
                output[o++] = output[percent + 1];
            }

            output[percent + 1] = (byte)'2';
            output[percent + 2] = (byte)'5';
            output[o++] = decoded;
            return o;
        }

        return length;
    }

    private static byte[] BuildClasses()
    {
        var classes = new byte[256];
        for (var b = 0; b < 256; b++)
        {
            classes[b] = b switch
            {
                0 => Invalid,
                <= 0x20 or >= 0x7F => Escape,
                '"' or '#' or '%' or '<' or '>' or '?' or '\\' or '^' or '`' or '{' or '|' or '}' => Escape,
                '.' => Special,
                '-' or '_' or '~' or (>= '0' and <= '9') or (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') => UnescapeBit,
                _ => 0,
            };
        }

        return classes;
    }

    private static SearchValues<byte> BuildSpecial()
    {
        var special = new List<byte>();
        for (var b = 0; b < 256; b++)
        {
            if ((s_classes[b] & Special) != 0)
            {
                special.Add((byte)b);
            }
        }

        return SearchValues.Create(special.ToArray());
    }
}
