using System.Buffers;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;

namespace Proxy.Host;

/// <summary>Parses the CLI's value syntaxes. Each returns false with a message naming what was expected.</summary>
internal static class CliValueParsers
{
    private static readonly SearchValues<char> NumberChars = SearchValues.Create("0123456789.");

    public static bool TryParseAddress(string text, out IPAddress address, out string error)
    {
        if (IPAddress.TryParse(text, out address!))
        {
            error = "";
            return true;
        }

        error = $"'{text}' is not an IP address (e.g. 0.0.0.0, 127.0.0.1, ::)";
        return false;
    }

    /// <summary>ADDR:PORT, with IPv6 in brackets ([::1]:15000). Port 0 is allowed (any free port).</summary>
    public static bool TryParseEndPoint(string text, out IPEndPoint endPoint, out string error)
    {
        var colon = text.LastIndexOf(':');
        var bracket = text.LastIndexOf(']');
        if (colon > 0 && colon > bracket
            && IPAddress.TryParse(text.AsSpan(0, colon).Trim("[]"), out var address)
            && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && port <= IPEndPoint.MaxPort)
        {
            endPoint = new IPEndPoint(address, port);
            error = "";
            return true;
        }

        endPoint = null!;
        error = $"'{text}' is not ADDR:PORT (e.g. 127.0.0.1:15000, [::1]:15000)";
        return false;
    }

    /// <summary><c>off</c> (null) or ADDR:PORT.</summary>
    public static bool TryParseAdmin(string text, out IPEndPoint? endPoint, out string error)
    {
        if (string.Equals(text, "off", StringComparison.OrdinalIgnoreCase))
        {
            endPoint = null;
            error = "";
            return true;
        }

        var ok = TryParseEndPoint(text, out var parsed, out error);
        endPoint = parsed;
        if (!ok)
        {
            error = $"'{text}' is neither ADDR:PORT nor off";
        }

        return ok;
    }

    /// <summary><c>k=v[,k=v]</c>; keys must be non-empty and unique.</summary>
    public static bool TryParseLabels(string text, out Dictionary<string, string> labels, out string error)
    {
        labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !labels.TryAdd(pair[..equals].Trim(), pair[(equals + 1)..].Trim()))
            {
                error = $"'{pair}' in --labels is not a unique k=v pair";
                return false;
            }
        }

        if (labels.Count == 0)
        {
            error = "--labels needs at least one k=v pair";
            return false;
        }

        error = "";
        return true;
    }

    /// <summary>
    /// A duration as Istio writes them (protobuf Duration in YAML): a sequence of number+unit, units h, m, s, ms
    /// (e.g. <c>15s</c>, <c>1m30s</c>, <c>500ms</c>, <c>2.5s</c>). A bare number is seconds.
    /// </summary>
    public static bool TryParseDuration(string text, out TimeSpan duration, out string error)
    {
        duration = TimeSpan.Zero;
        error = $"'{text}' is not a duration (e.g. 15s, 500ms, 1m30s)";
        var rest = text.AsSpan().Trim();
        if (rest.IsEmpty)
        {
            return false;
        }

        if (double.TryParse(rest, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var bareSeconds))
        {
            duration = TimeSpan.FromSeconds(bareSeconds);
            error = "";
            return true;
        }

        while (!rest.IsEmpty)
        {
            var numberLength = rest.IndexOfAnyExcept(NumberChars);
            if (numberLength <= 0
                || !double.TryParse(rest[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            rest = rest[numberLength..];
            var unitLength = rest.IndexOfAny(NumberChars);
            var unit = unitLength < 0 ? rest : rest[..unitLength];
            rest = unitLength < 0 ? [] : rest[unitLength..];
            switch (unit)
            {
                case "h": duration += TimeSpan.FromHours(value); break;
                case "m": duration += TimeSpan.FromMinutes(value); break;
                case "s": duration += TimeSpan.FromSeconds(value); break;
                case "ms": duration += TimeSpan.FromMilliseconds(value); break;
                default: return false;
            }
        }

        error = "";
        return true;
    }

    public static bool TryParseLogLevel(string text, out LogLevel level, out string error)
    {
        error = "";
        switch (text.ToUpperInvariant())
        {
            case "TRACE": level = LogLevel.Trace; return true;
            case "DEBUG": level = LogLevel.Debug; return true;
            case "INFO" or "INFORMATION": level = LogLevel.Information; return true;
            case "WARN" or "WARNING": level = LogLevel.Warning; return true;
            case "ERROR": level = LogLevel.Error; return true;
            case "CRITICAL": level = LogLevel.Critical; return true;
            case "OFF" or "NONE": level = LogLevel.None; return true;
            default:
                level = LogLevel.Information;
                error = $"'{text}' is not a log level (trace, debug, info, warning, error, critical, off)";
                return false;
        }
    }
}
