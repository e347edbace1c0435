using System.Globalization;

namespace Proxy.Istio.Loading;

/// <summary>
/// Parses Istio durations. Istio's CRDs validate durations with CEL <c>duration()</c>, i.e. Go's time.ParseDuration
/// syntax: one or more decimal numbers each with a unit (<c>h</c>, <c>m</c>, <c>s</c>, <c>ms</c>, <c>us</c>, <c>µs</c>,
/// <c>ns</c>), e.g. <c>10s</c>, <c>1.5s</c>, <c>250ms</c>, <c>1h30m</c>. No sign, no spaces, no bare numbers except 0.
/// </summary>
internal static class DurationParser
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        if (text == "0")
        {
            return true;
        }

        var span = text.AsSpan();
        if (span.IsEmpty)
        {
            return false;
        }

        decimal totalTicks = 0;
        while (!span.IsEmpty)
        {
            var numberLength = 0;
            var sawDigit = false;
            var sawDot = false;
            while (numberLength < span.Length && (char.IsAsciiDigit(span[numberLength]) || (span[numberLength] == '.' && !sawDot)))
            {
                sawDot |= span[numberLength] == '.';
                sawDigit |= char.IsAsciiDigit(span[numberLength]);
                numberLength++;
            }

            if (!sawDigit || !decimal.TryParse(span[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            span = span[numberLength..];
            var unitLength = 0;
            while (unitLength < span.Length && !char.IsAsciiDigit(span[unitLength]) && span[unitLength] != '.')
            {
                unitLength++;
            }

            decimal ticksPerUnit = span[..unitLength] switch
            {
                "h" => TimeSpan.TicksPerHour,
                "m" => TimeSpan.TicksPerMinute,
                "s" => TimeSpan.TicksPerSecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "us" or "µs" or "μs" => 10,
                "ns" => 0.01m,
                _ => -1,
            };
            if (ticksPerUnit < 0)
            {
                return false;
            }

            totalTicks += number * ticksPerUnit;
            if (totalTicks > TimeSpan.MaxValue.Ticks)
            {
                return false;
            }

            span = span[unitLength..];
        }

        value = TimeSpan.FromTicks((long)totalTicks);
        return true;
    }
}
