using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Loading;

/// <summary>
/// Typed, path-tracking access to one document's YAML nodes. Every problem is recorded against the document's
/// <see cref="SourceLocation"/> with the field path, and reading goes on: callers get null for a bad field and keep
/// validating the rest of the object.
/// </summary>
internal sealed class NodeReader
{
    private readonly Diagnostics _diagnostics;
    private int _errorCount;

    public NodeReader(Diagnostics diagnostics, SourceLocation location)
    {
        _diagnostics = diagnostics;
        Location = location;
    }

    public SourceLocation Location { get; set; }

    /// <summary>How many errors this reader has recorded; an object with errors is not compiled further.</summary>
    public int ErrorCount => _errorCount;

    public void Error(string path, string message)
    {
        _errorCount++;
        _diagnostics.Error(Location, path, message);
    }

    public void Warning(string path, string message) => _diagnostics.Warning(Location, path, message);

    public static string Join(string path, string field) => path.Length == 0 ? field : path + "." + field;

    public static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    /// <summary>YAML null: an absent value, <c>~</c> or <c>null</c> (plain, untagged).</summary>
    public static bool IsNull(YamlNode? node) =>
        node is null ||
        (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } scalar &&
         scalar.Value is null or "" or "~" or "null" or "Null" or "NULL");

    /// <summary>
    /// Reads a mapping's fields. Fields in <paramref name="supported"/> are returned (null values dropped); fields in
    /// <paramref name="unsupported"/> produce a "not supported yet" warning; fields in <paramref name="ignored"/> are
    /// accepted silently; anything else is an error (a typo such as <c>matchs</c> must not silently widen a route).
    /// </summary>
    public Fields? Mapping(YamlNode? node, string path, ReadOnlySpan<string> supported, ReadOnlySpan<string> unsupported = default, ReadOnlySpan<string> ignored = default)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlMappingNode mapping)
        {
            Error(path, $"expected a mapping, got {Describe(node!)}");
            return null;
        }

        var fields = new Fields(path);
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                Error(path, "mapping keys must be strings");
                continue;
            }

            var fieldPath = Join(path, key);
            if (Contains(supported, key))
            {
                if (!IsNull(value))
                {
                    fields.Add(key, value);
                }
            }
            else if (Contains(unsupported, key))
            {
                if (!IsNull(value))
                {
                    Warning(fieldPath, "not supported yet; ignored");
                }
            }
            else if (!Contains(ignored, key))
            {
                Error(fieldPath, "unknown field");
            }
        }

        return fields;
    }

    public List<(YamlNode Node, string Path)>? Sequence(YamlNode? node, string path)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlSequenceNode sequence)
        {
            Error(path, $"expected a list, got {Describe(node!)}");
            return null;
        }

        var items = new List<(YamlNode, string)>(sequence.Children.Count);
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            items.Add((sequence.Children[i], Index(path, i)));
        }

        return items;
    }

    public string? String(YamlNode? node, string path)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlScalarNode scalar)
        {
            Error(path, $"expected a string, got {Describe(node!)}");
            return null;
        }

        return scalar.Value ?? string.Empty;
    }

    /// <summary>An integer in [min, max]. Quoted numbers are rejected, as the Kubernetes API server does for integer fields.</summary>
    public int? Int(YamlNode? node, string path, int min, int max)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } scalar ||
            !long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Error(path, $"expected an integer, got {Describe(node)}");
            return null;
        }

        if (value < min || value > max)
        {
            Error(path, $"{value.ToString(CultureInfo.InvariantCulture)} is out of range [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]");
            return null;
        }

        return (int)value;
    }

    /// <summary>A duration as Istio's ValidateDuration accepts it: at least 1ms, in whole milliseconds.</summary>
    public TimeSpan? Duration(YamlNode? node, string path)
    {
        var text = String(node, path);
        if (text is null)
        {
            return null;
        }

        if (!DurationParser.TryParse(text, out var value))
        {
            Error(path, $"invalid duration \"{text}\"; expected e.g. 10s, 1.5s, 250ms, 1m or 1h");
            return null;
        }

        if (value < TimeSpan.FromMilliseconds(1) || value.Ticks % TimeSpan.TicksPerMillisecond != 0)
        {
            Error(path, $"duration \"{text}\" must be at least 1ms, in whole milliseconds");
            return null;
        }

        return value;
    }

    public bool? Bool(YamlNode? node, string path)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: { } text })
        {
            if (text is "true" or "True" or "TRUE")
            {
                return true;
            }

            if (text is "false" or "False" or "FALSE")
            {
                return false;
            }
        }

        Error(path, $"expected true or false, got {Describe(node!)}");
        return null;
    }

    public List<(string Value, string Path)>? StringList(YamlNode? node, string path)
    {
        var items = Sequence(node, path);
        if (items is null)
        {
            return null;
        }

        var result = new List<(string, string)>(items.Count);
        foreach (var (item, itemPath) in items)
        {
            if (IsNull(item))
            {
                Error(itemPath, "must not be null");
                continue;
            }

            if (String(item, itemPath) is { } value)
            {
                result.Add((value, itemPath));
            }
        }

        return result;
    }

    /// <summary>A map of string to string, e.g. labels or a selector.</summary>
    public Dictionary<string, string>? StringMap(YamlNode? node, string path)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlMappingNode mapping)
        {
            Error(path, $"expected a mapping, got {Describe(node!)}");
            return null;
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                Error(path, "mapping keys must be strings");
                continue;
            }

            if (value is not YamlScalarNode scalar)
            {
                Error(Join(path, key), $"expected a string, got {Describe(value)}");
                continue;
            }

            map[key] = scalar.Value ?? string.Empty;
        }

        return map;
    }

    /// <summary>An enum value spelled as Istio's protobuf enum name (exact case).</summary>
    public string? Enum(YamlNode? node, string path, ReadOnlySpan<string> allowed)
    {
        var value = String(node, path);
        if (value is null)
        {
            return null;
        }

        if (!Contains(allowed, value))
        {
            Error(path, $"invalid value \"{value}\"; expected one of {string.Join(", ", allowed.ToArray())}");
            return null;
        }

        return value;
    }

    private static bool Contains(ReadOnlySpan<string> set, string value)
    {
        foreach (var s in set)
        {
            if (string.Equals(s, value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(YamlNode? node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Style: ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted } s => $"the string \"{s.Value}\"",
        YamlScalarNode s => $"\"{s.Value}\"",
        _ => "nothing",
    };
}
